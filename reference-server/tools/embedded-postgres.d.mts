/** A real PostgreSQL server on a loopback port (see embedded-postgres.mjs). */
export interface EmbeddedPostgresServer {
  /** `postgres://kms:…@127.0.0.1:PORT/postgres` (the maintenance database). */
  adminUrl: string;
  /** Creates an empty database and returns its URL. */
  createDatabase(): Promise<string>;
  stop(): Promise<void>;
}

export function createDatabase(adminUrl: string): Promise<string>;
export function startEmbeddedPostgres(options?: {
  durable?: boolean;
  postgresFlags?: string[];
}): Promise<EmbeddedPostgresServer>;
