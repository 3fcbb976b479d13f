/**
 * Dual-phase rotation of PostgreSQL login passwords (upstream's `postgres-credentials`): two
 * existing users take turns; each rotation gives the user not in use a new password and makes it
 * the active one, so the previous password stays valid for one more interval.
 */
import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import {
  connectPostgres,
  describeConnectionError,
  POSTGRES_APP,
  type PostgresCredentials,
} from '../app-connections/postgres-connection.js';
import type { GeneratedCredentials, RotationProvider } from './rotation-provider.js';

const username = z.string().trim().min(1, 'Username required').max(63);
const secretKey = z
  .string()
  .trim()
  .min(1, 'Secret name required')
  .max(500)
  .regex(/^[A-Za-z0-9_.-]+$/, 'Secret name can only contain letters, numbers, underscores, dots and hyphens');

/** A password PostgreSQL and connection strings take without quoting: 32 characters of base64url. */
const newPassword = () => randomBytes(24).toString('base64url');

export const postgresCredentialsProvider: RotationProvider = {
  type: 'postgres-credentials',
  app: POSTGRES_APP,
  parametersSchema: z
    .strictObject({ username1: username, username2: username })
    .refine((p) => p.username1 !== p.username2, {
      message: 'username1 and username2 must be different users',
      path: ['username2'],
    }),
  secretsMappingSchema: z
    .strictObject({ username: secretKey, password: secretKey })
    .refine((m) => m.username !== m.password, {
      message: 'The username and password must map to different secrets',
      path: ['password'],
    }),

  async validate(connectionCredentials, parameters) {
    let client: Awaited<ReturnType<typeof connectPostgres>> | undefined;
    try {
      client = await connectPostgres(connectionCredentials as PostgresCredentials);
      const { rows } = await client.query<{ rolname: string }>(
        'SELECT rolname FROM pg_roles WHERE rolname = ANY($1::text[])',
        [[parameters.username1, parameters.username2]],
      );
      const found = new Set(rows.map((r) => r.rolname));
      const missing = [parameters.username1, parameters.username2].filter((u) => u && !found.has(u));
      return missing.length > 0 ? `Database user(s) not found: ${missing.join(', ')}` : undefined;
    } catch (error) {
      return `Unable to connect: ${describeConnectionError(error)}`;
    } finally {
      await client?.end().catch(() => {});
    }
  },

  nextCredentials(parameters, index): GeneratedCredentials {
    const user = index === 0 ? parameters.username1 : parameters.username2;
    return { username: user ?? '', password: newPassword() };
  },

  async install(connectionCredentials, credentials) {
    const client = await connectPostgres(connectionCredentials as PostgresCredentials);
    try {
      // ALTER ROLE takes no bind parameters: the name and the password are quoted by the driver.
      await client.query(
        `ALTER ROLE ${client.escapeIdentifier(credentials.username)} WITH PASSWORD ${client.escapeLiteral(credentials.password)}`,
      );
    } finally {
      await client.end().catch(() => {});
    }
  },

  secretValues(mapping, credentials) {
    return {
      [mapping.username as string]: credentials.username,
      [mapping.password as string]: credentials.password,
    };
  },
};

/** Every provider by rotation type. */
export const ROTATION_PROVIDERS: Record<string, RotationProvider> = {
  [postgresCredentialsProvider.type]: postgresCredentialsProvider,
};
