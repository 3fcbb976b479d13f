/** Secret commands: create, update and delete, one at a time or in a batch (all or nothing). */
import type { ServerContext } from '../../context.js';
import { badRequest, notFound } from '../../http/errors.js';
import { type Caller, ProjectScope } from './project-scope.js';
import type { KeyRename } from './references.js';
import { refuseRotatedSecrets } from './rotated-secrets.js';
import { baseSecretView } from './secret-views.js';
import {
  applyFields,
  assertTagsExist,
  commitSecretWrites,
  existingSecretPlan,
  type PlannedSecret,
  planNewSecret,
  planReferenceRewrites,
  type SecretFieldsInput,
} from './secret-writes.js';
import {
  auditedSecret,
  locate,
  openForDelete,
  refusePersonal,
  type SecretType,
  sharedSecretsByKey,
} from './secret-common.js';

// ---------------------------------------------------------------------------------------------
// Create / update / delete

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
  const plan = planNewSecret(at, input.secretName, input);
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
  await refuseRotatedSecrets(ctx, at.folder.id, [input.secretName], 'update');
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
  await refuseRotatedSecrets(ctx, at.folder.id, [input.secretName], 'delete');
  const plain = openForDelete(scope, current);
  await commitSecretWrites(scope, [], [current]);
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
  const existing = await sharedSecretsByKey(scope, at.folder.id);
  const taken = items.filter((i) => existing.has(i.secretKey)).map((i) => i.secretKey);
  if (taken.length > 0) throw badRequest(`Secret already exists: ${taken.join(',')}`);
  await assertTagsExist(scope, [...new Set(items.flatMap((i) => i.tagIds ?? []))]);
  const plans = items.map((item) => planNewSecret(at, item.secretKey, item));
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
    const current = await sharedSecretsByKey(scope, at.folder.id);
    await refuseRotatedSecrets(
      ctx,
      at.folder.id,
      group.map((item) => item.secretKey).filter((key) => current.has(key)),
      'update',
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
        ? applyFields(existingSecretPlan(scope, existing), item)
        : planNewSecret(at, item.secretKey, item);
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
  const current = await sharedSecretsByKey(scope, at.folder.id);
  const keys = [...new Set(input.secrets.map((s) => s.secretKey))];
  const missing = keys.filter((k) => !current.has(k));
  if (missing.length > 0) throw notFound(`One or more secrets does not exist: ${missing.join(',')}`);
  await refuseRotatedSecrets(ctx, at.folder.id, keys, 'delete');
  const doomed = keys.map((k) => current.get(k)!);
  const plains = doomed.map((s) => openForDelete(scope, s));
  await commitSecretWrites(scope, [], doomed);
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
