import { createHash } from 'node:crypto';
import type { ServerContext } from '../../context.js';
import { ApiError, badRequest, notFound } from '../../http/errors.js';
import type { EnvironmentRecord } from '../../store/records.js';
import type { FolderRecord, SecretRecord, TagRecord } from '../../store/records.js';
import { secretPathNotFound } from './folder-tree.js';
import { type ImportedSecret, resolveImports } from './import-resolution.js';
import { type Caller, ProjectScope } from './project-scope.js';
import { formatMultilineValue, type KeyRename, ReferenceExpander } from './references.js';
import type { SecretMetadataItem } from './secret-crypto.js';
import {
  baseSecretView,
  HIDDEN_SECRET_VALUE,
  listedSecretView,
  metadataForAudit,
  metadataView,
  secretTagsView,
} from './secret-views.js';
import {
  assertTagsExist,
  commitSecretWrites,
  existingSecretPlan,
  newSecretPlan,
  type PlannedSecret,
  planReferenceRewrites,
} from './secret-writes.js';

type SecretType = 'shared' | 'personal';

/** A resolved `(environment, folder)` inside the caller's project. */
interface Location {
  env: EnvironmentRecord;
  folder: FolderRecord;
  path: string;
}

/** Resolves env + path, with the contract's error for a missing environment or folder. */
async function locate(
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
function refusePersonal(type: SecretType, verb: 'create' | 'update' | 'delete') {
  if (type === 'personal') throw badRequest(`Must be user to ${verb} personal secret`);
}

function expanderFor(scope: ProjectScope) {
  return new ReferenceExpander({
    loadFolder: async (envSlug, path) => {
      const env = await scope.envBySlugOrNull(envSlug);
      if (!env) return undefined;
      const folder = (await scope.tree(env)).find(path);
      if (!folder) return undefined;
      const secrets = await scope.ctx.store.secrets.listSecrets([folder.id]);
      return new Map(secrets.filter((s) => s.type === 'shared').map((s) => [s.key, scope.open(s).value]));
    },
    canRead: () => scope.caller.access.can('readValue', 'secrets'),
  });
}

/** The value a read returns: masked, or expanded (and multi-line formatted) when asked. */
async function readValue(
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
 * A delete must stay possible for a row whose ciphertext fails its integrity check (the way
 * out for an operator); such a row answers with empty value and comment instead of a 500.
 */
function openForDelete(scope: ProjectScope, secret: SecretRecord) {
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

const auditedSecret = (s: SecretRecord) => ({ secretId: s.id, secretKey: s.key, secretVersion: s.version });

// ---------------------------------------------------------------------------------------------
// List

export interface ListSecretsInput {
  environment?: string | undefined;
  secretPath: string;
  recursive: boolean;
  includeImports: boolean;
  expandSecretReferences: boolean;
  viewSecretValue: boolean;
  tagSlugs: string[];
  metadataFilter: { key: string; value: string }[];
}

export type ListSecretsResult =
  | { notModified: true; etag: string }
  /** `json`: the response body `{ secrets, imports }`, serialised (it may come from a sealed copy). */
  | { notModified: false; etag: string; json: string };

/**
 * A listing's slot (the project, caller, roles and normalised query) and its ETag (the slot at the
 * project's current content version). It costs no secret read, so a poll with a matching
 * `If-None-Match` is answered before any decryption.
 */
function listingOf(caller: Caller, input: ListSecretsInput): { slot: string; etag: string } {
  const { project, roles } = caller.access;
  const slot = JSON.stringify([project.id, caller.auth.identity.id, [...roles].sort(), input]);
  const etag = `"${createHash('sha256').update(`${slot}|${project.contentVersion}`).digest('base64url')}"`;
  return { slot, etag };
}

/** Whether an `If-None-Match` header matches the ETag (weak comparison, `*` included). */
export function etagMatches(ifNoneMatch: string | undefined, etag: string) {
  if (!ifNoneMatch) return false;
  return ifNoneMatch
    .split(',')
    .map((t) => t.trim().replace(/^W\//, ''))
    .some((t) => t === '*' || t === etag);
}

const metadataMatches = (metadata: SecretMetadataItem[], filter: { key: string; value: string }[]) =>
  filter.every((f) => metadata.some((m) => m.key === f.key && m.value === f.value));

/** GET /api/v3/secrets/raw. */
export async function listSecrets(
  ctx: ServerContext,
  caller: Caller,
  input: ListSecretsInput,
  ifNoneMatch?: string,
): Promise<ListSecretsResult> {
  const { access } = caller;
  if (!input.environment) throw badRequest('Missing project id or environment');
  access.assert('read', 'secrets');
  if (input.viewSecretValue) access.assert('readValue', 'secrets');
  const scope = new ProjectScope(ctx, caller);
  const at = await locate(scope, input.environment, input.secretPath, 'SecretPathNotFound');

  const { slot, etag } = listingOf(caller, input);
  if (etagMatches(ifNoneMatch, etag)) return { notModified: true, etag };

  const listed = (numberOfSecrets: number) =>
    caller.audit({
      type: 'get-secrets',
      metadata: { environment: at.env.slug, secretPath: at.path, numberOfSecrets },
    });
  // The ETag names the project's content version, the caller, its roles and the query: an identical
  // earlier request produced this very body, so its sealed copy (sealed-listings.ts) is served.
  const sealed = ctx.sealedListings.open(slot, etag);
  if (sealed) {
    await listed(sealed.count);
    return { notModified: false, etag, json: sealed.json };
  }

  const tree = await scope.tree(at.env);
  const folders = input.recursive ? tree.subtree(at.folder) : [at.folder];
  let secrets = (await ctx.store.secrets.listSecrets(folders.map((f) => f.id))).filter(
    (s) => s.type === 'shared',
  );

  const tags = await ctx.store.secrets.listTags(scope.project.id);
  const tagsById = new Map<string, TagRecord>(tags.map((t) => [t.id, t]));
  if (input.tagSlugs.length > 0) {
    const wanted = new Set(tags.filter((t) => input.tagSlugs.includes(t.slug)).map((t) => t.id));
    secrets = secrets.filter((s) => s.tagIds.some((id) => wanted.has(id)));
  }
  if (input.metadataFilter.length > 0) {
    secrets = secrets.filter((s) => metadataMatches(scope.open(s).metadata, input.metadataFilter));
  }

  const expander = input.expandSecretReferences && input.viewSecretValue ? expanderFor(scope) : undefined;
  const items = [];
  for (const secret of secrets) {
    const path = tree.pathOf(secret.folderId);
    const plain = scope.open(secret);
    const value = expander
      ? await readValue(scope, expander, secret, { envSlug: at.env.slug, path }, input.viewSecretValue)
      : input.viewSecretValue
        ? plain.value
        : HIDDEN_SECRET_VALUE;
    items.push(
      listedSecretView(secret, {
        workspace: scope.project.id,
        envSlug: at.env.slug,
        value,
        comment: plain.comment,
        reminderNote: plain.reminderNote,
        path,
        valueHidden: !input.viewSecretValue,
        metadata: plain.metadata,
        tagsById,
      }),
    );
  }

  const imports = [];
  if (input.includeImports) {
    for (const block of await resolveImports(scope, folders)) {
      // With expansion, each block is first de-duplicated by key (first wins), as upstream.
      const seen = new Set<string>();
      const blockSecrets: ImportedSecret[] = expander
        ? block.secrets.filter((s) => !seen.has(s.secret.key) && seen.add(s.secret.key))
        : block.secrets;
      const shaped = [];
      for (const { secret, env, path } of blockSecrets) {
        const plain = scope.open(secret);
        const value = await readValue(
          scope,
          expander,
          secret,
          { envSlug: env.slug, path },
          input.viewSecretValue,
        );
        const {
          createdAt: _c,
          updatedAt: _u,
          ...view
        } = baseSecretView(secret, {
          workspace: '',
          envSlug: env.slug,
          value,
          comment: plain.comment,
          reminderNote: plain.reminderNote,
        });
        shaped.push({
          ...view,
          secretValueHidden: !input.viewSecretValue,
          secretMetadata: metadataView(plain.metadata),
        });
      }
      imports.push({
        secretPath: block.secretPath,
        environment: block.env.slug,
        folderId: block.folderId,
        secrets: shaped,
      });
    }
  }

  const json = JSON.stringify({ secrets: items, imports });
  ctx.sealedListings.seal(slot, etag, json, items.length);
  await listed(items.length);
  return { notModified: false, etag, json };
}

// ---------------------------------------------------------------------------------------------
// Retrieve

export interface GetSecretInput {
  environment?: string | undefined;
  secretPath: string;
  secretName: string;
  type: SecretType;
  version?: number | undefined;
  viewSecretValue: boolean;
  expandSecretReferences: boolean;
  includeImports: boolean;
}

/** GET /api/v3/secrets/raw/:secretName. */
export async function getSecret(ctx: ServerContext, caller: Caller, input: GetSecretInput) {
  const { access } = caller;
  if (!input.environment) throw badRequest('Missing environment');
  access.assert('read', 'secrets');
  if (input.viewSecretValue && !access.can('readValue', 'secrets')) {
    throw new ApiError(
      403,
      'ForbiddenReadSecretError',
      `You do not have permission to view secret value on secret with name '${input.secretName}'`,
    );
  }
  const scope = new ProjectScope(ctx, caller);
  const at = await locate(scope, input.environment, input.secretPath, 'GetSecretByName');
  const notFoundError = () =>
    input.type === 'personal'
      ? notFound(`Personal secret with name '${input.secretName}' not found`)
      : notFound(`Secret with name '${input.secretName}' not found`);

  let found: ImportedSecret | undefined;
  const local = await ctx.store.secrets.getSecret(at.folder.id, input.secretName, input.type);
  if (local) found = { secret: local, env: at.env, path: at.path };
  else if (input.includeImports && input.type === 'shared' && input.version === undefined) {
    // Local first, then the imports from the last to the first (docs/reference/api.md, decision D5).
    const blocks = await resolveImports(scope, [at.folder]);
    for (const block of blocks.reverse()) {
      found = block.secrets.find((s) => s.secret.key === input.secretName);
      if (found) break;
    }
  }
  if (!found) throw notFoundError();

  let secret = found.secret;
  if (input.version !== undefined && input.version !== secret.version) {
    const old = await ctx.store.secrets.getSecretVersion(secret.id, input.version);
    if (!old) throw notFound(`Version ${input.version} of secret with name '${input.secretName}' not found`);
    // A version row carries its own key and folder, which are also what its ciphertext is bound to.
    secret = {
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

  const expander = input.expandSecretReferences && input.viewSecretValue ? expanderFor(scope) : undefined;
  const plain = scope.open(secret);
  const value = await readValue(
    scope,
    expander,
    secret,
    { envSlug: found.env.slug, path: found.path },
    input.viewSecretValue,
  );
  const tags = await ctx.store.secrets.listTags(scope.project.id);
  await caller.audit({
    type: 'get-secret',
    metadata: {
      environment: found.env.slug,
      secretPath: found.path,
      ...auditedSecret(secret),
      secretMetadata: metadataForAudit(plain.metadata),
    },
  });
  return {
    secret: {
      ...baseSecretView(secret, {
        workspace: scope.project.id,
        envSlug: found.env.slug,
        value,
        comment: plain.comment,
        reminderNote: plain.reminderNote,
      }),
      secretValueHidden: !input.viewSecretValue,
      secretPath: found.path,
      tags: secretTagsView(secret.tagIds, new Map(tags.map((t) => [t.id, t]))),
      secretMetadata: metadataView(plain.metadata),
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Create / update / delete

interface SecretFieldsInput {
  secretValue?: string | undefined;
  secretComment?: string | undefined;
  secretMetadata?: SecretMetadataItem[] | undefined;
  tagIds?: string[] | undefined;
  skipMultilineEncoding?: boolean | null | undefined;
  secretReminderNote?: string | null | undefined;
  secretReminderRepeatDays?: number | null | undefined;
}

export interface CreateSecretInput extends SecretFieldsInput {
  environment: string;
  secretPath: string;
  secretName: string;
  type: SecretType;
}

/** POST /api/v3/secrets/raw/:secretName. */
export async function createSecret(ctx: ServerContext, caller: Caller, input: CreateSecretInput) {
  caller.access.assert('create', 'secrets');
  refusePersonal(input.type, 'create');
  const scope = new ProjectScope(ctx, caller);
  const at = await locate(scope, input.environment, input.secretPath, 'CreateSecret');
  if (await ctx.store.secrets.getSecret(at.folder.id, input.secretName, 'shared')) {
    throw badRequest('Secret already exists');
  }
  await assertTagsExist(scope, input.tagIds ?? []);
  const plan = newSecretPlan(
    { folderId: at.folder.id, envId: at.env.id, key: input.secretName },
    {
      plain: {
        value: input.secretValue ?? '',
        comment: input.secretComment ?? '',
        metadata: input.secretMetadata ?? [],
        reminderNote: input.secretReminderNote ?? null,
      },
      skipMultilineEncoding: input.skipMultilineEncoding ?? false,
      reminderRepeatDays: input.secretReminderRepeatDays ?? null,
      tagIds: [...new Set(input.tagIds ?? [])],
    },
  );
  const stored = (await commitSecretWrites(scope, [plan])).get(plan.id)!;
  await caller.audit({
    type: 'create-secret',
    metadata: { environment: at.env.slug, secretPath: at.path, ...auditedSecret(stored) },
  });
  return {
    secret: baseSecretView(stored, {
      workspace: scope.project.id,
      envSlug: at.env.slug,
      value: plan.plain.value,
      comment: plan.plain.comment,
      reminderNote: plan.plain.reminderNote,
    }),
  };
}

export interface UpdateSecretInput extends SecretFieldsInput {
  environment: string;
  secretPath: string;
  secretName: string;
  type: SecretType;
  newSecretName?: string | undefined;
}

/** Applies the optional fields of an update to a plan. */
function applyFields(plan: PlannedSecret, input: SecretFieldsInput) {
  if (input.secretValue !== undefined) plan.plain.value = input.secretValue;
  if (input.secretComment !== undefined) plan.plain.comment = input.secretComment;
  if (input.secretMetadata !== undefined) plan.plain.metadata = input.secretMetadata;
  if (input.tagIds !== undefined) plan.tagIds = [...new Set(input.tagIds)];
  if (input.skipMultilineEncoding !== undefined)
    plan.skipMultilineEncoding = input.skipMultilineEncoding ?? false;
  if (input.secretReminderNote !== undefined) plan.plain.reminderNote = input.secretReminderNote;
  if (input.secretReminderRepeatDays !== undefined) plan.reminderRepeatDays = input.secretReminderRepeatDays;
}

/** PATCH /api/v3/secrets/raw/:secretName (rename rewrites references to the old name). */
export async function updateSecret(ctx: ServerContext, caller: Caller, input: UpdateSecretInput) {
  caller.access.assert('edit', 'secrets');
  if (input.newSecretName === '') throw badRequest('New secret name cannot be empty');
  if (input.type === 'personal' && input.newSecretName !== undefined) {
    throw badRequest('Personal secret cannot change the key name');
  }
  refusePersonal(input.type, 'update');
  const scope = new ProjectScope(ctx, caller);
  const at = await locate(scope, input.environment, input.secretPath, 'UpdateSecret');
  const current = await ctx.store.secrets.getSecret(at.folder.id, input.secretName, 'shared');
  if (!current) throw notFound(`Secret with name ${input.secretName} not found`);
  const renaming = input.newSecretName !== undefined && input.newSecretName !== input.secretName;
  if (renaming && (await ctx.store.secrets.getSecret(at.folder.id, input.newSecretName!, 'shared'))) {
    throw badRequest('Secret with the new name already exists');
  }
  await assertTagsExist(scope, input.tagIds ?? []);

  const plan = existingSecretPlan(scope, current);
  applyFields(plan, input);
  const plans = new Map([[plan.id, plan]]);
  if (renaming) {
    plan.key = input.newSecretName!;
    const rename: KeyRename = {
      envSlug: at.env.slug,
      path: at.path,
      oldKey: input.secretName,
      newKey: plan.key,
    };
    await planReferenceRewrites(scope, [rename], plans);
  }
  const stored = await commitSecretWrites(scope, [...plans.values()]);
  const secret = stored.get(plan.id)!;
  await caller.audit({
    type: 'update-secret',
    metadata: { environment: at.env.slug, secretPath: at.path, ...auditedSecret(secret) },
  });
  return {
    secret: {
      ...baseSecretView(secret, {
        workspace: scope.project.id,
        envSlug: at.env.slug,
        value: input.secretValue ?? '',
        comment: plan.plain.comment,
        reminderNote: plan.plain.reminderNote,
      }),
      secretValueHidden: false,
    },
  };
}

export interface DeleteSecretInput {
  environment: string;
  secretPath: string;
  secretName: string;
  type: SecretType;
}

/** DELETE /api/v3/secrets/raw/:secretName; answers with the deleted secret, value included. */
export async function deleteSecret(ctx: ServerContext, caller: Caller, input: DeleteSecretInput) {
  caller.access.assert('delete', 'secrets');
  refusePersonal(input.type, 'delete');
  const scope = new ProjectScope(ctx, caller);
  const at = await locate(scope, input.environment, input.secretPath, 'DeleteSecret');
  const current = await ctx.store.secrets.getSecret(at.folder.id, input.secretName, 'shared');
  if (!current) throw notFound('Secret not found');
  const plain = openForDelete(scope, current);
  await commitSecretWrites(scope, [], [current.id]);
  await caller.audit({
    type: 'delete-secret',
    metadata: { environment: at.env.slug, secretPath: at.path, ...auditedSecret(current) },
  });
  return {
    secret: {
      ...baseSecretView(current, {
        workspace: scope.project.id,
        envSlug: at.env.slug,
        value: plain.value,
        comment: plain.comment,
        reminderNote: plain.reminderNote,
      }),
      secretValueHidden: false,
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Batch (all-or-nothing: every check runs before the single transaction)

/** Last occurrence of each key wins, in first-seen order. */
function lastPerKey<T extends { secretKey: string }>(items: T[]): T[] {
  const byKey = new Map<string, T>();
  for (const item of items) {
    byKey.delete(item.secretKey);
    byKey.set(item.secretKey, item);
  }
  return [...byKey.values()];
}

export interface BatchCreateInput {
  environment: string;
  secretPath: string;
  secrets: (SecretFieldsInput & { secretKey: string; secretValue: string })[];
}

/** POST /api/v3/secrets/batch/raw. */
export async function createSecretsBatch(ctx: ServerContext, caller: Caller, input: BatchCreateInput) {
  caller.access.assert('create', 'secrets');
  const scope = new ProjectScope(ctx, caller);
  const at = await locate(scope, input.environment, input.secretPath, 'CreateManySecret');
  const items = lastPerKey(input.secrets);
  const existing = new Set(
    (await ctx.store.secrets.listSecrets([at.folder.id]))
      .filter((s) => s.type === 'shared')
      .map((s) => s.key),
  );
  const taken = items.filter((i) => existing.has(i.secretKey)).map((i) => i.secretKey);
  if (taken.length > 0) throw badRequest(`Secret already exists: ${taken.join(',')}`);
  await assertTagsExist(scope, [...new Set(items.flatMap((i) => i.tagIds ?? []))]);
  const plans = items.map((item) =>
    newSecretPlan(
      { folderId: at.folder.id, envId: at.env.id, key: item.secretKey },
      {
        plain: {
          value: item.secretValue,
          comment: item.secretComment ?? '',
          metadata: item.secretMetadata ?? [],
          reminderNote: item.secretReminderNote ?? null,
        },
        skipMultilineEncoding: item.skipMultilineEncoding ?? false,
        reminderRepeatDays: item.secretReminderRepeatDays ?? null,
        tagIds: [...new Set(item.tagIds ?? [])],
      },
    ),
  );
  const stored = await commitSecretWrites(scope, plans);
  const records = plans.map((p) => stored.get(p.id)!);
  await caller.audit({
    type: 'create-secrets',
    metadata: { environment: at.env.slug, secretPath: at.path, secrets: records.map(auditedSecret) },
  });
  return {
    secrets: plans.map((p) =>
      baseSecretView(stored.get(p.id)!, {
        workspace: scope.project.id,
        envSlug: at.env.slug,
        value: p.plain.value,
        comment: p.plain.comment,
        reminderNote: p.plain.reminderNote,
      }),
    ),
  };
}

export type BatchUpdateMode = 'failOnNotFound' | 'upsert' | 'ignore';

export interface BatchUpdateInput {
  environment: string;
  secretPath: string;
  mode: BatchUpdateMode;
  secrets: (SecretFieldsInput & {
    secretKey: string;
    secretPath?: string | undefined;
    newSecretName?: string | undefined;
  })[];
}

/** PATCH /api/v3/secrets/batch/raw: items grouped by path, `mode` decides about missing keys. */
export async function updateSecretsBatch(ctx: ServerContext, caller: Caller, input: BatchUpdateInput) {
  caller.access.assert('edit', 'secrets');
  const scope = new ProjectScope(ctx, caller);
  const env = await scope.envBySlug(input.environment);
  const byPath = new Map<string, BatchUpdateInput['secrets']>();
  for (const item of input.secrets) {
    const path = item.secretPath ?? input.secretPath;
    byPath.set(path, [...(byPath.get(path) ?? []), item]);
  }

  const plans = new Map<string, PlannedSecret>();
  const renames: KeyRename[] = [];
  const results: { plan: PlannedSecret; path: string; sentValue: string | undefined }[] = [];
  for (const [path, group] of byPath) {
    const at = await locate(scope, env.slug, path, 'UpdateManySecret');
    const current = new Map(
      (await ctx.store.secrets.listSecrets([at.folder.id]))
        .filter((s) => s.type === 'shared')
        .map((s) => [s.key, s]),
    );
    const finalKeys = new Set(current.keys());
    for (const item of lastPerKey(group)) {
      const existing = current.get(item.secretKey);
      if (!existing) {
        if (input.mode === 'ignore') continue;
        if (input.mode === 'failOnNotFound') {
          throw notFound(`Secret does not exist: ${item.secretKey} in path ${path}`);
        }
        caller.access.assert('create', 'secrets');
      }
      await assertTagsExist(scope, item.tagIds ?? []);
      const plan = existing
        ? existingSecretPlan(scope, existing)
        : newSecretPlan(
            { folderId: at.folder.id, envId: at.env.id, key: item.secretKey },
            { plain: { value: '', comment: '', metadata: [], reminderNote: null } },
          );
      applyFields(plan, item);
      if (item.newSecretName !== undefined && item.newSecretName !== item.secretKey) {
        if (finalKeys.has(item.newSecretName)) throw badRequest('Secret with the new name already exists');
        finalKeys.delete(item.secretKey);
        finalKeys.add(item.newSecretName);
        plan.key = item.newSecretName;
        if (existing)
          renames.push({ envSlug: env.slug, path, oldKey: item.secretKey, newKey: item.newSecretName });
      } else {
        finalKeys.add(plan.key);
      }
      plans.set(plan.id, plan);
      results.push({ plan, path, sentValue: item.secretValue });
    }
  }
  await planReferenceRewrites(scope, renames, plans);
  const stored = await commitSecretWrites(scope, [...plans.values()]);

  const shaped = results.map(({ plan, path, sentValue }) => ({
    secret: stored.get(plan.id)!,
    path,
    sentValue,
    plan,
  }));
  const updated = shaped.filter((s) => s.secret.version > 1);
  const created = shaped.filter((s) => s.secret.version === 1);
  for (const [type, group] of [
    ['update-secrets', updated],
    ['create-secrets', created],
  ] as const) {
    if (group.length === 0) continue;
    await caller.audit({
      type,
      metadata: {
        environment: env.slug,
        secretPath: input.secretPath,
        secrets: group.map((s) => ({ ...auditedSecret(s.secret), secretPath: s.path })),
      },
    });
  }
  return {
    secrets: shaped.map(({ secret, sentValue, plan }) => ({
      ...baseSecretView(secret, {
        workspace: scope.project.id,
        envSlug: env.slug,
        value: sentValue ?? '',
        comment: plan.plain.comment,
        reminderNote: plan.plain.reminderNote,
      }),
      secretValueHidden: false,
    })),
  };
}

export interface BatchDeleteInput {
  environment: string;
  secretPath: string;
  secrets: { secretKey: string; type: SecretType }[];
}

/** DELETE /api/v3/secrets/batch/raw. */
export async function deleteSecretsBatch(ctx: ServerContext, caller: Caller, input: BatchDeleteInput) {
  caller.access.assert('delete', 'secrets');
  for (const item of input.secrets) refusePersonal(item.type, 'delete');
  const scope = new ProjectScope(ctx, caller);
  const at = await locate(scope, input.environment, input.secretPath, 'DeleteManySecret');
  const current = new Map(
    (await ctx.store.secrets.listSecrets([at.folder.id]))
      .filter((s) => s.type === 'shared')
      .map((s) => [s.key, s]),
  );
  const keys = [...new Set(input.secrets.map((s) => s.secretKey))];
  const missing = keys.filter((k) => !current.has(k));
  if (missing.length > 0) throw notFound(`One or more secrets does not exist: ${missing.join(',')}`);
  const doomed = keys.map((k) => current.get(k)!);
  const plains = doomed.map((s) => openForDelete(scope, s));
  await commitSecretWrites(
    scope,
    [],
    doomed.map((s) => s.id),
  );
  await caller.audit({
    type: 'delete-secrets',
    metadata: { environment: at.env.slug, secretPath: at.path, secrets: doomed.map(auditedSecret) },
  });
  return {
    secrets: doomed.map((s, i) => ({
      ...baseSecretView(s, {
        workspace: scope.project.id,
        envSlug: at.env.slug,
        value: plains[i]!.value,
        comment: plains[i]!.comment,
        reminderNote: plains[i]!.reminderNote,
      }),
      secretValueHidden: false,
    })),
  };
}
