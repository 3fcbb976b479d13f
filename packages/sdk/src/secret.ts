/**
 * The secret type returned by `client.secrets` and how it prints: `util.inspect`, `console.log` and
 * `JSON.stringify` show `[REDACTED]` in place of the value; `secret.secretValue` still reads it.
 *
 * @module
 */
import { printAs, REDACTED } from './redaction.js';

/** A tag attached to a secret. */
export interface SecretTag {
  /** Tag id. */
  id: string;
  /** Tag slug. */
  slug: string;
  /** Display name. */
  name?: string;
  /** Display colour. */
  color?: string | null;
}

/** A metadata entry of a secret. Values with `isEncrypted: true` print redacted. */
export interface SecretMetadataEntry {
  /** Metadata key. */
  key: string;
  /** Metadata value. */
  value: string;
  /** Whether the value is stored encrypted (printed redacted). */
  isEncrypted?: boolean;
}

/** A secret as the KMS returns it (v3 raw shape). */
export interface Secret {
  /** Secret id (UUID). */
  id: string;
  /** Project id; `""` for secrets that came from an import. */
  workspace: string;
  /** Environment slug. */
  environment: string;
  /** Version number, starting at 1. */
  version: number;
  /** `shared` or `personal`. */
  type: 'shared' | 'personal';
  /** The secret's name. */
  secretKey: string;
  /** The value (`<hidden-by-kms>` when listed with `viewSecretValue: false`). Prints as `[REDACTED]`. */
  secretValue: string;
  /** Comment, `""` when none. */
  secretComment: string;
  /** Folder path the secret lives in (list, retrieve; filled in by the SDK on batch create). */
  secretPath?: string;
  /** Whether the value was masked by the server. */
  secretValueHidden?: boolean;
  /** Do not encode newlines when exporting. */
  skipMultilineEncoding?: boolean | null;
  /** Rotation reminder note. */
  secretReminderNote?: string | null;
  /** Rotation reminder interval in days. */
  secretReminderRepeatDays?: number | null;
  /** Tags of the secret. */
  tags?: SecretTag[];
  /** Metadata entries of the secret. */
  secretMetadata?: SecretMetadataEntry[];
  /** ISO-8601 timestamp. */
  createdAt?: string;
  /** ISO-8601 timestamp. */
  updatedAt?: string;
}

class SecretRecord {}
printAs(SecretRecord, 'Secret', (s) => {
  const view: Record<string, unknown> = { ...(s as unknown as Secret), secretValue: REDACTED };
  const meta = (s as unknown as Secret).secretMetadata;
  if (Array.isArray(meta)) {
    view.secretMetadata = meta.map((m) => (m.isEncrypted ? { ...m, value: REDACTED } : m));
  }
  return view;
});

/**
 * Wraps a wire secret so it prints redacted. `_id` (a legacy duplicate of `id`) is dropped. A plain
 * field copy: rest destructuring plus `Object.assign` cost a fifth more on a list of 100.
 */
export function toSecret(wire: unknown, defaults: Partial<Secret> = {}): Secret {
  const secret = new SecretRecord() as Record<string, unknown>;
  for (const key in defaults) secret[key] = defaults[key as keyof Secret];
  const fields = wire as Record<string, unknown>;
  for (const key in fields) if (key !== '_id') secret[key] = fields[key];
  return secret as unknown as Secret;
}
