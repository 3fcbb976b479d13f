/**
 * Point-in-time recovery: the snapshots every write takes of the folders it changes
 * (store/repositories/snapshots.ts), listed, read, and rolled back, a folder with its sub-folders
 * in one transaction through the one write path (docs/reference/api.md#secret-versions-and-snapshots).
 */
import { publishFolderChanges } from '../changes/change-notices.js';
import { isDeepStrictEqual } from 'node:util';
import type { AuthContext, ServerContext } from '../../context.js';
import { notFound } from '../../http/errors.js';
import type {
  EnvironmentRecord,
  FolderRecord,
  FolderWrite,
  SecretRecord,
  SnapshotContentRecord,
  SnapshotRecord,
  SnapshotSecretRecord,
} from '../../store/records.js';
import type { FolderTree } from './folder-tree.js';
import { type Caller, ProjectScope } from './project-scope.js';
import { locate } from './secret-common.js';
import type { SecretPlainFields } from './secret-crypto.js';
import { HIDDEN_SECRET_VALUE, secretTagsView } from './secret-views.js';
import {
  commitSecretWrites,
  existingSecretPlan,
  newSecretPlan,
  type PlannedSecret,
} from './secret-writes.js';

const snapshotNotFound = (id: string) => notFound(`Secret snapshot with ID '${id}' not found`);

/** Upstream's `SecretSnapshotsSchema`. */
const snapshotView = (s: SnapshotRecord) => ({
  id: s.id,
  envId: s.envId,
  folderId: s.folderId,
  parentFolderId: s.parentFolderId,
  createdAt: s.createdAt,
  updatedAt: s.updatedAt,
});

/**
 * The project of a snapshot named by id, for building the caller. A snapshot of another
 * organization is not found; a project the caller is not a member of is refused (403).
 */
export async function projectOfSnapshot(ctx: ServerContext, auth: AuthContext, snapshotId: string) {
  const snapshot = await ctx.store.snapshots.getSnapshot(snapshotId);
  const env = snapshot && (await ctx.store.projects.getEnvironment(snapshot.envId));
  const project = env && (await ctx.store.projects.getProject(env.projectId));
  if (!project || project.orgId !== auth.orgId) throw snapshotNotFound(snapshotId);
  return project.id;
}

/** The snapshot in the caller's project, with its environment, or 404. */
async function snapshotInScope(scope: ProjectScope, snapshotId: string) {
  const snapshot = await scope.ctx.store.snapshots.getSnapshot(snapshotId);
  const env = snapshot && (await scope.envById(snapshot.envId));
  if (!snapshot || !env) throw snapshotNotFound(snapshotId);
  return { snapshot, env };
}

/** A recorded secret as a record the project scope can open (its ciphertext is bound to its row then). */
function recordedSecret(env: EnvironmentRecord, s: SnapshotSecretRecord): SecretRecord {
  return {
    id: s.secretId,
    folderId: s.folderId,
    envId: env.id,
    key: s.key,
    type: s.type,
    version: s.version,
    valueCiphertext: s.valueCiphertext,
    commentCiphertext: s.commentCiphertext,
    metadataCiphertext: s.metadataCiphertext,
    skipMultilineEncoding: s.skipMultilineEncoding,
    reminderNote: null,
    reminderRepeatDays: s.reminderRepeatDays,
    actor: null,
    tagIds: s.tagIds,
    createdAt: s.createdAt,
    updatedAt: s.createdAt,
  };
}

export interface SnapshotFolderInput {
  environment: string;
  path: string;
}

/** GET /api/v1/workspace/:workspaceId/secret-snapshots: a folder's snapshots, newest first. */
export async function listSnapshots(
  ctx: ServerContext,
  caller: Caller,
  input: SnapshotFolderInput & { offset: number; limit: number },
) {
  caller.access.assert('read', 'secret-rollback');
  const scope = new ProjectScope(ctx, caller);
  const at = await locate(scope, input.environment, input.path, 'SecretPathNotFound');
  const snapshots = await ctx.store.snapshots.listSnapshots(at.folder.id, input);
  await caller.audit({
    type: 'get-project-pit-commits',
    metadata: { environment: at.env.slug, path: at.path, folderId: at.folder.id, count: snapshots.length },
  });
  return { secretSnapshots: snapshots.map(snapshotView) };
}

/** GET /api/v1/workspace/:workspaceId/secret-snapshots/count. */
export async function countSnapshots(ctx: ServerContext, caller: Caller, input: SnapshotFolderInput) {
  caller.access.assert('read', 'secret-rollback');
  const scope = new ProjectScope(ctx, caller);
  const at = await locate(scope, input.environment, input.path, 'SecretPathNotFound');
  const count = await ctx.store.snapshots.countSnapshots(at.folder.id);
  await caller.audit({
    type: 'get-project-pit-commit-count',
    metadata: { environment: at.env.slug, path: at.path, folderId: at.folder.id, count },
  });
  return { count };
}

/**
 * GET /api/v1/secret-snapshot/:secretSnapshotId: the folder as recorded, its secrets in upstream's
 * shape (values only for callers who may read values) and its sub-folders (`folderVersion`).
 */
export async function getSnapshot(ctx: ServerContext, caller: Caller, snapshotId: string) {
  caller.access.assert('read', 'secret-rollback');
  const viewValue = caller.access.can('readValue', 'secrets');
  const scope = new ProjectScope(ctx, caller);
  const { snapshot, env } = await snapshotInScope(scope, snapshotId);
  const tags = new Map((await ctx.store.secrets.listTags(scope.project.id)).map((t) => [t.id, t]));
  const secretVersions = snapshot.secrets.map((s) => {
    const plain = scope.openUncached(recordedSecret(env, s));
    return {
      id: s.secretId,
      secretId: s.secretId,
      version: s.version,
      secretKey: s.key,
      secretValue: viewValue ? plain.value : HIDDEN_SECRET_VALUE,
      secretValueHidden: !viewValue,
      secretComment: plain.comment,
      secretReminderNote: plain.reminderNote,
      secretReminderRepeatDays: s.reminderRepeatDays,
      skipMultilineEncoding: s.skipMultilineEncoding,
      tags: secretTagsView(s.tagIds, tags),
      createdAt: s.createdAt,
      updatedAt: s.createdAt,
    };
  });
  await caller.audit({
    type: 'pit-get-folder-state',
    metadata: { environment: env.slug, folderId: snapshot.folderId, snapshotId: snapshot.id },
  });
  return {
    secretSnapshot: {
      id: snapshot.id,
      projectId: scope.project.id,
      environment: { id: env.id, slug: env.slug, name: env.name },
      secretVersions,
      folderVersion: snapshot.folders.map((f) => ({ id: f.folderId, name: f.name })),
      createdAt: snapshot.createdAt,
      updatedAt: snapshot.updatedAt,
    },
  };
}

/** What a rollback writes: secret plans and deletes, and folder changes. */
interface RestorePlan {
  plans: PlannedSecret[];
  deletes: SecretRecord[];
  folders: FolderWrite;
}

const sameContent = (
  current: SecretRecord,
  now: SecretPlainFields,
  recorded: SnapshotSecretRecord,
  then: SecretPlainFields,
) =>
  current.key === recorded.key &&
  current.skipMultilineEncoding === recorded.skipMultilineEncoding &&
  current.reminderRepeatDays === recorded.reminderRepeatDays &&
  isDeepStrictEqual([...current.tagIds].sort(), [...recorded.tagIds].sort()) &&
  now.value === then.value &&
  now.comment === then.comment &&
  isDeepStrictEqual(now.metadata, then.metadata);

/**
 * Plans putting one folder back as `snapshot` recorded it: its secrets (changed ones get a new
 * version, deleted ones come back with their id, newer ones are deleted) and its sub-folders
 * (deleted ones are recreated, newer ones deleted, each kept or recreated one put back as its own
 * recorded snapshot said, recursively). A sub-folder recorded without a snapshot (data from before
 * snapshots existed) keeps its contents.
 */
async function planRestore(
  scope: ProjectScope,
  env: EnvironmentRecord,
  tree: FolderTree,
  folderId: string,
  snapshot: SnapshotContentRecord,
  plan: RestorePlan,
  now: string,
) {
  const { store } = scope.ctx;
  const exists = tree.get(folderId) !== undefined;
  const current = exists ? await store.secrets.listSecrets([folderId]) : [];
  const currentById = new Map(current.map((s) => [s.id, s]));
  const tagIds = new Set((await store.secrets.listTags(scope.project.id)).map((t) => t.id));
  for (const recorded of snapshot.secrets) {
    const then = scope.openUncached(recordedSecret(env, recorded));
    const restoredTags = recorded.tagIds.filter((id) => tagIds.has(id));
    const secret = currentById.get(recorded.secretId);
    if (secret && sameContent(secret, scope.open(secret), recorded, then)) continue;
    const fields = {
      plain: { value: then.value, comment: then.comment, metadata: [...then.metadata], reminderNote: null },
      skipMultilineEncoding: recorded.skipMultilineEncoding,
      reminderRepeatDays: recorded.reminderRepeatDays,
      tagIds: restoredTags,
    };
    if (secret) {
      const p = existingSecretPlan(scope, secret);
      plan.plans.push({
        ...p,
        ...fields,
        key: recorded.key,
        plain: { ...fields.plain, reminderNote: p.plain.reminderNote },
      });
    } else {
      const p = newSecretPlan({ folderId, envId: env.id, key: recorded.key }, fields);
      plan.plans.push({ ...p, id: recorded.secretId });
    }
  }
  const recordedIds = new Set(snapshot.secrets.map((s) => s.secretId));
  for (const s of current) if (!recordedIds.has(s.id)) plan.deletes.push(s);

  const recordedFolders = new Map(snapshot.folders.map((f) => [f.folderId, f]));
  for (const child of exists ? tree.childrenOf(folderId) : []) {
    if (!recordedFolders.has(child.id)) plan.folders.deletes.push(child.id);
  }
  for (const recorded of snapshot.folders) {
    const existing = tree.get(recorded.folderId);
    if (!existing) {
      const created: FolderRecord = {
        id: recorded.folderId,
        envId: env.id,
        parentId: folderId,
        name: recorded.name,
        description: recorded.description,
        version: 1,
        createdAt: now,
        updatedAt: now,
      };
      plan.folders.inserts.push(created);
    } else if (existing.name !== recorded.name || existing.description !== recorded.description) {
      plan.folders.updates.push({
        ...existing,
        name: recorded.name,
        description: recorded.description,
        version: existing.version + 1,
        updatedAt: now,
      });
    }
    const child = recorded.childSnapshotId && (await store.snapshots.getSnapshot(recorded.childSnapshotId));
    if (child) await planRestore(scope, env, tree, recorded.folderId, child, plan, now);
  }
}

/**
 * POST /api/v1/secret-snapshot/:secretSnapshotId/rollback: puts the folder and its sub-folders back
 * as the snapshot recorded them, in one transaction (which snapshots the result, so a rollback can
 * be rolled back). Upstream's route now always fails (replaced by commits); this is its earlier
 * behaviour. Audited as upstream's `pit-rollback-commit`.
 */
export async function rollbackSnapshot(ctx: ServerContext, caller: Caller, snapshotId: string) {
  caller.access.assert('create', 'secret-rollback');
  caller.access.assert('edit', 'secrets');
  caller.access.assert('edit', 'secret-folders');
  const scope = new ProjectScope(ctx, caller);
  const { snapshot, env } = await snapshotInScope(scope, snapshotId);
  const tree = await scope.tree(env);
  if (!tree.get(snapshot.folderId)) {
    throw notFound(
      `The folder of secret snapshot '${snapshotId}' was deleted; roll back a snapshot of its parent folder`,
    );
  }
  const now = new Date(ctx.now()).toISOString();
  const plan: RestorePlan = { plans: [], deletes: [], folders: { inserts: [], updates: [], deletes: [] } };
  await planRestore(scope, env, tree, snapshot.folderId, snapshot, plan, now);
  await commitSecretWrites(scope, plan.plans, plan.deletes, plan.folders);
  // Sub-folders removed by the rollback change the restored folder's recursive listing.
  if (plan.folders.deletes.length > 0) {
    await publishFolderChanges(scope, [{ envId: env.id, folderId: snapshot.folderId }]);
  }
  await caller.audit({
    type: 'pit-rollback-commit',
    metadata: {
      environment: env.slug,
      folderId: snapshot.folderId,
      folderPath: tree.pathOf(snapshot.folderId),
      snapshotId: snapshot.id,
      secretsWritten: plan.plans.map((p) => ({ secretId: p.id, secretKey: p.key })),
      secretsDeleted: plan.deletes.map((d) => d.id),
      foldersCreated: plan.folders.inserts.map((f) => f.id),
      foldersRenamed: plan.folders.updates.map((f) => f.id),
      foldersDeleted: plan.folders.deletes,
    },
  });
  return { secretSnapshot: snapshotView(snapshot) };
}
