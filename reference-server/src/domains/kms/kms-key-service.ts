/**
 * The KMS keys' lifecycle as a service (router -> service -> store, as domains/secrets): create,
 * list, read, update and delete keys, and the lookup every by-id route starts with. Services take
 * `(ctx, caller, input)` and return records; the router shapes them (key-view.ts). Holds no HTTP.
 */
import { randomUUID } from 'node:crypto';
import type { AuditEvent } from '../../audit/audit-log.js';
import { type ProjectAccess, type ProjectAction, projectAccess } from '../../auth/permissions.js';
import type { AuthContext, ServerContext } from '../../context.js';
import { badRequest, notFound } from '../../http/errors.js';
import type { KmsKeyAlgorithm, KmsKeyRecord } from '../../store/records.js';
import { StoreConflictError } from '../../store/contract.js';
import { generateMaterial, sealMaterial } from './key-crypto.js';
import type { CreateKeyInput, ListKeysInput, UpdateKeyInput } from './kms-schemas.js';

/** The caller of a KMS service call: the identity, and the audit sink of its request. */
export interface KmsCaller {
  auth: AuthContext;
  /** Records an audit event of this request in `project` (project id and name are filled in). */
  audit(project: ProjectAccess['project'], event: Pick<AuditEvent, 'type' | 'metadata'>): Promise<unknown>;
}

/** A key and the caller's standing in its project. */
export interface KeyInProject {
  key: KmsKeyRecord;
  access: ProjectAccess;
}

/** A key named by id. */
export interface KeyRef {
  keyId: string;
}

/**
 * The key `keyId`, if the caller may do `action` with it in its project (404 for another org's key).
 * Upstream (cmek-service.ts) quotes the id in every not-found but those of update and delete.
 */
export async function keyFor(
  ctx: ServerContext,
  caller: KmsCaller,
  keyId: string,
  action: ProjectAction,
): Promise<KeyInProject> {
  const key = await ctx.store.kmsKeys.getKey(keyId);
  if (!key || key.orgId !== caller.auth.orgId)
    throw notFound(
      action === 'edit' || action === 'delete'
        ? `Key with ID ${keyId} not found`
        : `Key with ID "${keyId}" not found`,
    );
  const access = await projectAccess(ctx, caller.auth, key.projectId);
  access.assert(action, 'kms-keys');
  return { key, access };
}

/** The facts every key event records (never material). */
export const keyFacts = (k: KmsKeyRecord) => ({
  keyId: k.id,
  name: k.name,
  keyUsage: k.keyUsage,
  encryptionAlgorithm: k.encryptionAlgorithm,
  version: k.version,
});

const duplicateName = (name: string, projectId: string) =>
  badRequest(`A KMS key with the name "${name}" already exists for the project with ID "${projectId}"`);

/** `POST /keys`: a key with fresh material sealed under the project's data key (`create-cmek`). */
export async function createKey(
  ctx: ServerContext,
  caller: KmsCaller,
  input: CreateKeyInput,
): Promise<KmsKeyRecord> {
  const access = await projectAccess(ctx, caller.auth, input.projectId);
  access.assert('create', 'kms-keys');
  const keys = ctx.store.kmsKeys;
  if (await keys.getKeyByName(access.project.id, input.name))
    throw duplicateName(input.name, access.project.id);
  const iso = new Date(ctx.now()).toISOString();
  const algorithm: KmsKeyAlgorithm = input.encryptionAlgorithm;
  const key: KmsKeyRecord = {
    id: randomUUID(),
    projectId: access.project.id,
    orgId: access.project.orgId,
    name: input.name,
    description: input.description ?? '',
    isDisabled: false,
    keyUsage: input.keyUsage,
    encryptionAlgorithm: algorithm,
    isExportable: input.isExportable,
    version: 1,
    createdAt: iso,
    updatedAt: iso,
  };
  const generated = await generateMaterial(algorithm);
  try {
    await keys.insertKey(key, {
      keyId: key.id,
      version: 1,
      sealedMaterial: sealMaterial(access.dataKey, key.id, 1, generated.material),
      publicKey: generated.publicKey?.toString('base64') ?? null,
      createdAt: iso,
    });
  } catch (error) {
    if (error instanceof StoreConflictError) throw duplicateName(input.name, access.project.id);
    throw error;
  } finally {
    generated.material.fill(0);
  }
  await caller.audit(access.project, { type: 'create-cmek', metadata: keyFacts(key) });
  return key;
}

/** `GET /keys`: one page of a project's keys (`get-cmeks`). */
export async function listKeys(ctx: ServerContext, caller: KmsCaller, input: ListKeysInput) {
  const access = await projectAccess(ctx, caller.auth, input.projectId);
  access.assert('read', 'kms-keys');
  const page = await ctx.store.kmsKeys.listKeys({ ...input, projectId: access.project.id });
  await caller.audit(access.project, { type: 'get-cmeks', metadata: { keyIds: page.keys.map((k) => k.id) } });
  return page;
}

/** `GET /keys/key-name/:keyName` (`get-cmek`). */
export async function getKeyByName(
  ctx: ServerContext,
  caller: KmsCaller,
  input: { projectId: string; keyName: string },
): Promise<KmsKeyRecord> {
  const access = await projectAccess(ctx, caller.auth, input.projectId);
  access.assert('read', 'kms-keys');
  const key = await ctx.store.kmsKeys.getKeyByName(access.project.id, input.keyName);
  if (!key)
    throw notFound(`Key with name "${input.keyName}" not found for project with ID "${input.projectId}"`);
  await caller.audit(access.project, { type: 'get-cmek', metadata: keyFacts(key) });
  return key;
}

/** `GET /keys/:keyId` (`get-cmek`). */
export async function getKey(ctx: ServerContext, caller: KmsCaller, input: KeyRef): Promise<KmsKeyRecord> {
  const { key, access } = await keyFor(ctx, caller, input.keyId, 'read');
  await caller.audit(access.project, { type: 'get-cmek', metadata: keyFacts(key) });
  return key;
}

/** `PATCH /keys/:keyId`: rename, describe, disable or enable (`update-cmek`). */
export async function updateKey(
  ctx: ServerContext,
  caller: KmsCaller,
  input: KeyRef & UpdateKeyInput,
): Promise<KmsKeyRecord> {
  const { key, access } = await keyFor(ctx, caller, input.keyId, 'edit');
  const updated: KmsKeyRecord = {
    ...key,
    name: input.name ?? key.name,
    description: input.description ?? key.description,
    isDisabled: input.isDisabled ?? key.isDisabled,
    updatedAt: new Date(ctx.now()).toISOString(),
  };
  try {
    await ctx.store.kmsKeys.updateKey(updated);
  } catch (error) {
    if (error instanceof StoreConflictError) throw duplicateName(updated.name, key.projectId);
    throw error;
  }
  // Other replicas see the new update time on their next request (key-operations.ts validatorOf).
  ctx.keyMaterial.dropKey(key.id);
  await caller.audit(access.project, {
    type: 'update-cmek',
    metadata: {
      ...keyFacts(updated),
      ...(input.name && input.name !== key.name ? { oldName: key.name } : {}),
      isDisabled: updated.isDisabled,
    },
  });
  return updated;
}

/** `DELETE /keys/:keyId`: the key and every version of its material (`delete-cmek`). */
export async function deleteKey(ctx: ServerContext, caller: KmsCaller, input: KeyRef): Promise<KmsKeyRecord> {
  const { key, access } = await keyFor(ctx, caller, input.keyId, 'delete');
  await ctx.store.kmsKeys.deleteKey(key.id);
  ctx.keyMaterial.dropKey(key.id);
  await caller.audit(access.project, { type: 'delete-cmek', metadata: keyFacts(key) });
  return key;
}
