/**
 * Post-processing of `GET /v3/secrets/raw` as kms-go does it: de-duplicate recursive results by key,
 * add imported secrets whose key is not already present (local secrets beat imports, earlier imports
 * beat later ones), sort by key.
 *
 * @module
 */
import type { Secret } from './secret.js';

/** An import block of a list response, after wrapping. */
export interface SecretImportBlock {
  /** Imported folder path. */
  secretPath: string;
  /** Imported environment slug. */
  environment: string;
  /** The imported secrets (their `secretPath`/`environment` are the import's). */
  secrets: Secret[];
}

/** Keeps one secret per key; for equal keys the last in server order wins (kms-go). */
export function dedupeByKey(secrets: readonly Secret[]): Secret[] {
  const byKey = new Map<string, Secret>();
  for (const secret of secrets) byKey.set(secret.secretKey, secret);
  return [...byKey.values()];
}

/** Appends imported secrets whose key is absent; imports are walked in server order. */
export function mergeImports(local: readonly Secret[], imports: readonly SecretImportBlock[]): Secret[] {
  const seen = new Set(local.map((s) => s.secretKey));
  const merged = [...local];
  for (const block of imports) {
    for (const secret of block.secrets) {
      if (seen.has(secret.secretKey)) continue;
      seen.add(secret.secretKey);
      merged.push(secret);
    }
  }
  return merged;
}

/** Sorts ascending by key in code-unit order (kms-go sorts bytes). */
export function sortByKey(secrets: Secret[]): Secret[] {
  return secrets.sort((a, b) => (a.secretKey < b.secretKey ? -1 : a.secretKey > b.secretKey ? 1 : 0));
}
