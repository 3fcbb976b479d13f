/**
 * The PostgreSQL app connection: its credential fields (upstream's SQL username-and-password
 * shape), what of them may be shown, and how a connection is opened with them.
 */
import pg from 'pg';
import { z } from 'zod';

/** The one app this server connects to, and its one method. */
export const POSTGRES_APP = 'postgres';
export const USERNAME_AND_PASSWORD = 'username-and-password';

/** Credentials of a PostgreSQL connection as a create or update body names them. */
export const postgresCredentialsSchema = z.strictObject({
  host: z.string().trim().min(1, 'Host required').max(255),
  port: z.coerce.number().int().min(1).max(65535),
  database: z.string().trim().min(1, 'Database required').max(63),
  username: z.string().trim().min(1, 'Username required').max(63),
  password: z.string().trim().min(1, 'Password required').max(1024),
  sslEnabled: z.boolean().default(false),
  sslRejectUnauthorized: z.boolean().default(true),
  sslCertificate: z.string().trim().max(16_384).optional(),
});

/** A PostgreSQL connection's full credentials (decrypted; never answered, logged or audited). */
export type PostgresCredentials = z.output<typeof postgresCredentialsSchema>;

/** The credentials as the API shows them: everything but the password. */
export function sanitizedCredentials(credentials: PostgresCredentials) {
  const { password: _password, ...shown } = credentials;
  return shown;
}

/** How long connecting to the target database may take before the attempt fails. */
const CONNECT_TIMEOUT_MS = 10_000;

/** A connected client as `username` (the connection's own user unless another is named). */
export async function connectPostgres(
  credentials: PostgresCredentials,
  login: { username: string; password: string } = credentials,
): Promise<pg.Client> {
  const client = new pg.Client({
    host: credentials.host,
    port: credentials.port,
    database: credentials.database,
    user: login.username,
    password: login.password,
    connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
    ssl: credentials.sslEnabled
      ? {
          rejectUnauthorized: credentials.sslRejectUnauthorized,
          ...(credentials.sslCertificate ? { ca: credentials.sslCertificate } : {}),
        }
      : false,
  });
  // A connection dropped while idle must not become an unhandled 'error' event.
  client.on('error', () => {});
  try {
    await client.connect();
  } catch (error) {
    await client.end().catch(() => {});
    throw error;
  }
  return client;
}

/**
 * A driver failure in words safe to show and store: the PostgreSQL error text (it names users and
 * hosts, never passwords) or the network error's message.
 */
export function describeConnectionError(error: unknown): string {
  if (error instanceof Error) return error.message.slice(0, 500);
  return 'unknown error';
}

/** Checks that the credentials open a connection; returns the failure in words when they do not. */
export async function checkPostgresCredentials(
  credentials: PostgresCredentials,
): Promise<string | undefined> {
  try {
    const client = await connectPostgres(credentials);
    await client.end();
    return undefined;
  } catch (error) {
    return describeConnectionError(error);
  }
}
