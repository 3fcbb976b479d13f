/**
 * What a secret rotation provider does, whatever the system it rotates: the shape of its
 * parameters and secret mapping, and the one step that touches the outside system (phase 1 of a
 * rotation: install new credentials for one of its two slots). The runner (rotation-runner.ts)
 * does the rest the same for every provider.
 */
import type { z } from 'zod';

/** One set of credentials a rotation generated (sealed at rest, never logged). */
export interface GeneratedCredentials {
  username: string;
  password: string;
}

/** A rotation provider, e.g. `postgres-credentials` (postgres-credentials-provider.ts). */
export interface RotationProvider {
  /** The rotation type in routes and records (upstream's name). */
  readonly type: string;
  /** The app of the connection it uses. */
  readonly app: string;
  /** The body's `parameters`. */
  readonly parametersSchema: z.ZodType<Record<string, string>>;
  /** The body's `secretsMapping`: generated field -> secret key. */
  readonly secretsMappingSchema: z.ZodType<Record<string, string>>;
  /** Checks the parameters against the connection before a rotation is created (400 in words otherwise). */
  validate(connectionCredentials: unknown, parameters: Record<string, string>): Promise<string | undefined>;
  /** The credentials slot `index` (0 or 1) gets, with a new password. */
  nextCredentials(parameters: Record<string, string>, index: number): GeneratedCredentials;
  /**
   * Phase 1: makes `credentials` valid in the outside system. Idempotent: a rotation resumed
   * after a crash installs the same credentials again.
   */
  install(connectionCredentials: unknown, credentials: GeneratedCredentials): Promise<void>;
  /** The secret values `credentials` map to. */
  secretValues(mapping: Record<string, string>, credentials: GeneratedCredentials): Record<string, string>;
}
