import type { SqliteDatabase } from '../database.js';

/**
 * Folders, secrets (with versions), tags and secret imports.
 * (Filled in by the secrets domain; see domains/secrets.)
 */
// biome-ignore lint/suspicious/noEmptyInterface: filled in by the secrets domain
export interface SecretStore {}

export class SqliteSecretStore implements SecretStore {
  constructor(readonly db: SqliteDatabase) {}
}
