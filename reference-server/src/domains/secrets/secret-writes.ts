/**
 * Write plans for secrets (what each secret should become) and their commit with versions,
 * reference rewrites and change notices. Values are sealed before they reach the store.
 */
import { randomUUID } from 'node:crypto';
import { publishFolderChanges } from '../changes/change-notices.js';
import { conflict, notFound } from '../../http/errors.js';
import { StoreConflictError } from '../../store/contract.js';
import type { FolderWrite, SecretRecord } from '../../store/records.js';
import type { ProjectScope } from './project-scope.js';
import { type KeyRename, rewriteReferences } from './references.js';
import { type SecretMetadataItem, type SecretPlainFields, sealSecret } from './secret-crypto.js';

/** One secret as a write wants it to be; `current` is absent for a new secret. */
export interface PlannedSecret {
  current?: SecretRecord;
  id: string;
  folderId: string;
  envId: string;
  key: string;
  type: 'shared' | 'personal';
  plain: SecretPlainFields;
  skipMultilineEncoding: boolean;
  reminderRepeatDays: number | null;
  tagIds: string[];
}

/** A plan for a new secret with defaults. */
export function newSecretPlan(
  target: { folderId: string; envId: string; key: string },
  fields: Partial<Omit<PlannedSecret, 'current' | 'id' | 'folderId' | 'envId' | 'key' | 'type'>> & {
    plain: SecretPlainFields;
  },
): PlannedSecret {
  return {
    id: randomUUID(),
    type: 'shared',
    skipMultilineEncoding: false,
    reminderRepeatDays: null,
    tagIds: [],
    ...target,
    ...fields,
  };
}

/** The optional fields of a secret write, as the create and update bodies name them. */
export interface SecretFieldsInput {
  secretValue?: string | undefined;
  secretComment?: string | undefined;
  secretMetadata?: SecretMetadataItem[] | undefined;
  tagIds?: string[] | undefined;
  skipMultilineEncoding?: boolean | null | undefined;
  secretReminderNote?: string | null | undefined;
  secretReminderRepeatDays?: number | null | undefined;
}

/** Applies the fields a write names to a plan (an absent field leaves the plan's value); returns the plan. */
export function applyFields(plan: PlannedSecret, input: SecretFieldsInput): PlannedSecret {
  if (input.secretValue !== undefined) plan.plain.value = input.secretValue;
  if (input.secretComment !== undefined) plan.plain.comment = input.secretComment;
  if (input.secretMetadata !== undefined) plan.plain.metadata = input.secretMetadata;
  if (input.tagIds !== undefined) plan.tagIds = [...new Set(input.tagIds)];
  if (input.skipMultilineEncoding !== undefined)
    plan.skipMultilineEncoding = input.skipMultilineEncoding ?? false;
  if (input.secretReminderNote !== undefined) plan.plain.reminderNote = input.secretReminderNote;
  if (input.secretReminderRepeatDays !== undefined) plan.reminderRepeatDays = input.secretReminderRepeatDays;
  return plan;
}

/** The plan of a new shared secret `key` in a folder: the defaults, then the fields the write names. */
export function planNewSecret(
  at: { folder: { id: string }; env: { id: string } },
  key: string,
  fields: SecretFieldsInput,
): PlannedSecret {
  const empty = { value: '', comment: '', metadata: [], reminderNote: null };
  return applyFields(
    newSecretPlan({ folderId: at.folder.id, envId: at.env.id, key }, { plain: empty }),
    fields,
  );
}

/** A plan that starts from the secret as stored (decrypted). */
export function existingSecretPlan(scope: ProjectScope, current: SecretRecord): PlannedSecret {
  const plain = scope.open(current);
  return {
    current,
    id: current.id,
    folderId: current.folderId,
    envId: current.envId,
    key: current.key,
    type: current.type,
    plain: { ...plain, metadata: [...plain.metadata] },
    skipMultilineEncoding: current.skipMultilineEncoding,
    reminderRepeatDays: current.reminderRepeatDays,
    tagIds: [...current.tagIds],
  };
}

/** Throws 404 "Tag not found. Found …" unless every id is a tag of the project. */
export async function assertTagsExist(scope: ProjectScope, tagIds: string[]) {
  if (tagIds.length === 0) return;
  const tags = await scope.ctx.store.secrets.listTags(scope.project.id);
  const found = tags.filter((t) => tagIds.includes(t.id));
  if (new Set(tagIds).size !== found.length) {
    throw notFound(`Tag not found. Found ${found.map((t) => t.slug).join(',')}`);
  }
}

/**
 * Adds to `plans` every secret of the project whose value references a renamed key,
 * rewritten to the new name (each such secret gets a new version).
 */
export async function planReferenceRewrites(
  scope: ProjectScope,
  renames: KeyRename[],
  plans: Map<string, PlannedSecret>,
) {
  if (renames.length === 0) return;
  const all = await scope.ctx.store.secrets.listProjectSecrets(scope.project.id);
  for (const secret of all) {
    const env = await scope.envById(secret.envId);
    if (!env) continue;
    const path = (await scope.tree(env)).pathOf(secret.folderId);
    const planned = plans.get(secret.id);
    const value = planned ? planned.plain.value : scope.open(secret).value;
    const rewritten = rewriteReferences(value, env.slug, path, renames);
    if (rewritten === value) continue;
    const plan = planned ?? existingSecretPlan(scope, secret);
    plan.plain.value = rewritten;
    plans.set(secret.id, plan);
  }
}

/**
 * Encrypts and writes every plan (new version for existing secrets), the deletes and the folder
 * changes of a snapshot rollback in one transaction, which also snapshots every folder it changes;
 * then publishes a change notice per folder touched (webhooks, the notice stream). Returns the
 * stored records by id.
 */
export async function commitSecretWrites(
  scope: ProjectScope,
  plans: PlannedSecret[],
  deletes: SecretRecord[] = [],
  folders?: FolderWrite,
): Promise<Map<string, SecretRecord>> {
  const now = new Date(scope.ctx.now()).toISOString();
  const { identity } = scope.caller.auth;
  const actor = scope.caller.author ?? { actorId: identity.id, actorType: 'identity', name: identity.name };
  const stored = new Map<string, SecretRecord>();
  const inserts: SecretRecord[] = [];
  const updates: { secret: SecretRecord; previousVersion: number }[] = [];
  for (const plan of plans) {
    const version = plan.current ? plan.current.version + 1 : 1;
    const sealed = sealSecret(
      scope.dataKey,
      { projectId: scope.project.id, envId: plan.envId, folderId: plan.folderId, key: plan.key, version },
      plan.plain,
    );
    const record: SecretRecord = {
      id: plan.id,
      folderId: plan.folderId,
      envId: plan.envId,
      key: plan.key,
      type: plan.type,
      version,
      ...sealed,
      skipMultilineEncoding: plan.skipMultilineEncoding,
      reminderNote: null,
      reminderRepeatDays: plan.reminderRepeatDays,
      actor,
      tagIds: plan.tagIds,
      createdAt: plan.current?.createdAt ?? now,
      updatedAt: now,
    };
    stored.set(record.id, record);
    if (plan.current) updates.push({ secret: record, previousVersion: plan.current.version });
    else inserts.push(record);
  }
  try {
    await scope.ctx.store.secrets.writeSecrets({
      inserts,
      updates,
      deletes: deletes.map((d) => d.id),
      keepVersions: scope.project.pitVersionLimit,
      ...(folders ? { folders } : {}),
      at: now,
    });
  } catch (error) {
    // The plans were made from a read that saw no such key (existing keys were refused or became
    // updates before this), so a uniqueness failure here is another request, possibly on another
    // replica, creating it in between: a conflict to retry, like a stale version.
    if (error instanceof StoreConflictError) {
      throw conflict(
        error.kind === 'stale'
          ? 'The secret was changed by another request; retry the write'
          : 'Another request created the same secret at the same time; retry the write',
      );
    }
    throw error;
  }
  await scope.ctx.store.projects.touchContent(scope.project.id);
  // A restored or renamed sub-folder changes its parent's (recursive) listing too; a snapshot
  // rollback that removes sub-folders publishes their parent itself (secret-snapshots.ts).
  const folderChanges = [...(folders?.inserts ?? []), ...(folders?.updates ?? [])].flatMap((f) =>
    f.parentId ? [{ envId: f.envId, folderId: f.parentId }] : [],
  );
  await publishFolderChanges(scope, [...plans, ...deletes, ...folderChanges]);
  return stored;
}
