/**
 * What the secret queries and commands share: locating the folder of a request, refusing personal
 * secrets, reading a stored value, reference expansion and the audited fields of a secret.
 */
import { ApiError, badRequest } from '../../http/errors.js';
import type { EnvironmentRecord } from '../../store/records.js';
import type { FolderRecord, SecretRecord, SecretVersionRecord } from '../../store/records.js';
import { secretPathNotFound } from './folder-tree.js';
import type { ProjectScope } from './project-scope.js';
import { formatMultilineValue, ReferenceExpander, ReferenceLimitError } from './references.js';
import { HIDDEN_SECRET_VALUE } from './secret-views.js';

export type SecretType = 'shared' | 'personal';

/** A resolved `(environment, folder)` inside the caller's project. */
export interface Location {
  env: EnvironmentRecord;
  folder: FolderRecord;
  path: string;
}

/** Resolves env + path, with the contract's error for a missing environment or folder. */
export async function locate(
  scope: ProjectScope,
  envSlug: string,
  path: string,
  errorName: string,
): Promise<Location> {
  const env = await scope.envBySlug(envSlug);
  const tree = await scope.tree(env);
  const folder = tree.find(path);
  if (!folder) throw secretPathNotFound(path, env.slug, errorName);
  return { env, folder, path };
}

/** Machine identities own no personal secrets: every personal write is refused (docs/reference/api.md, decision D14). */
export function refusePersonal(type: SecretType, verb: 'create' | 'update' | 'delete') {
  if (type === 'personal') throw badRequest(`Must be user to ${verb} personal secret`);
}

/** The shared secrets of a folder, by key (personal secrets are never listed or written here). */
export async function sharedSecretsByKey(
  scope: ProjectScope,
  folderId: string,
): Promise<Map<string, SecretRecord>> {
  const secrets = await scope.ctx.store.secrets.listSecrets([folderId]);
  return new Map(secrets.filter((s) => s.type === 'shared').map((s) => [s.key, s]));
}

export function expanderFor(scope: ProjectScope) {
  return new ReferenceExpander({
    loadFolder: async (envSlug, path) => {
      const env = await scope.envBySlugOrNull(envSlug);
      if (!env) return undefined;
      const folder = (await scope.tree(env)).find(path);
      if (!folder) return undefined;
      const secrets = await sharedSecretsByKey(scope, folder.id);
      return new Map([...secrets].map(([key, s]) => [key, scope.open(s).value]));
    },
    canRead: () => scope.caller.access.can('readValue', 'secrets'),
  });
}

/** The value a read returns: masked, or expanded (and multi-line formatted) when asked. */
export async function readValue(
  scope: ProjectScope,
  expander: ReferenceExpander | undefined,
  secret: SecretRecord,
  at: { envSlug: string; path: string },
  viewValue: boolean,
) {
  if (!viewValue) return HIDDEN_SECRET_VALUE;
  const value = scope.open(secret).value;
  if (!expander) return value;
  const expanded = await expander.expand(value, at.envSlug, at.path, secret.key);
  return secret.skipMultilineEncoding ? formatMultilineValue(expanded) : expanded;
}

/**
 * The value a list returns: as {@link readValue}, except that a secret over a per-secret expansion
 * limit keeps its value as written, so one such secret never denies reads of its whole folder
 * (docs/reference/secret-references.md). The per-response budget still refuses the list.
 */
export async function listedValue(
  scope: ProjectScope,
  expander: ReferenceExpander | undefined,
  secret: SecretRecord,
  at: { envSlug: string; path: string },
  viewValue: boolean,
) {
  try {
    return await readValue(scope, expander, secret, at, viewValue);
  } catch (error) {
    if (!(error instanceof ReferenceLimitError) || !error.perSecret) throw error;
    scope.ctx.logger.warn(
      { secretId: secret.id, reason: error.message },
      'listed a secret unexpanded: its references are over a limit',
    );
    return readValue(scope, undefined, secret, at, viewValue);
  }
}

/**
 * A delete must stay possible for a row whose ciphertext fails its integrity check (the way
 * out for an operator); such a row answers with empty value and comment instead of a 500.
 */
export function openForDelete(scope: ProjectScope, secret: SecretRecord) {
  try {
    return scope.open(secret);
  } catch (error) {
    if (!(error instanceof ApiError) || error.name !== 'SecretIntegrityError') throw error;
    scope.ctx.logger.warn(
      { secretId: secret.id },
      'deleting a secret whose ciphertext failed its integrity check',
    );
    return { value: '', comment: '', metadata: [], reminderNote: null };
  }
}

export const auditedSecret = (s: SecretRecord) => ({
  secretId: s.id,
  secretKey: s.key,
  secretVersion: s.version,
});

/**
 * The secret as it was at a kept version: the version row carries its own key and folder, which
 * are also what its ciphertext is bound to.
 */
export function secretAtVersion(secret: SecretRecord, old: SecretVersionRecord): SecretRecord {
  return {
    ...secret,
    folderId: old.folderId,
    key: old.key,
    version: old.version,
    valueCiphertext: old.valueCiphertext,
    commentCiphertext: old.commentCiphertext,
    metadataCiphertext: old.metadataCiphertext,
    skipMultilineEncoding: old.skipMultilineEncoding,
    updatedAt: old.createdAt,
  };
}
