/** Secret rotations (upstream's v2 `postgres-credentials`): create, read, change, delete, rotate now. */
import { randomUUID } from 'node:crypto';
import type { ServerContext } from '../../context.js';
import { badRequest, conflict, notFound } from '../../http/errors.js';
import type { RotateAtUtc, SecretRotationRecord } from '../../store/records.js';
import { StoreConflictError } from '../../store/contract.js';
import { connectionForUse } from '../app-connections/app-connection-service.js';
import { locate } from '../secrets/secret-common.js';
import { type Caller, ProjectScope } from '../secrets/project-scope.js';
import { commitSecretWrites } from '../secrets/secret-writes.js';
import { ROTATION_PROVIDERS } from './postgres-credentials-provider.js';
import { openGenerated, sealGenerated } from './rotation-crypto.js';
import type { RotationProvider } from './rotation-provider.js';
import { leaseUntil, runClaimedRotation } from './rotation-runner.js';
import { nextRotationAt } from './rotation-schedule.js';

/** A rotation as the API answers it (upstream's shape; generated credentials never included). */
async function rotationView(ctx: ServerContext, scope: ProjectScope, r: SecretRotationRecord) {
  const env = await scope.envById(r.envId);
  const path = env ? (await scope.tree(env)).pathOf(r.folderId) : '/';
  const connection = await ctx.store.appConnections.get(r.connectionId);
  return {
    id: r.id,
    name: r.name,
    description: r.description,
    type: r.type,
    parameters: r.parameters,
    secretsMapping: r.secretsMapping,
    isAutoRotationEnabled: r.isAutoRotationEnabled,
    activeIndex: r.activeIndex,
    folderId: r.folderId,
    connectionId: r.connectionId,
    rotationInterval: r.rotationInterval,
    rotateAtUtc: r.rotateAtUtc,
    rotationStatus: r.rotationStatus,
    lastRotationAttemptedAt: r.lastRotationAttemptedAt,
    lastRotatedAt: r.lastRotatedAt,
    lastRotationJobId: null,
    lastRotationMessage: r.lastRotationMessage,
    nextRotationAt: r.nextRotationAt,
    isLastRotationManual: r.isLastRotationManual,
    createdAt: r.createdAt,
    updatedAt: r.updatedAt,
    connection: { app: connection?.app ?? 'postgres', name: connection?.name ?? '', id: r.connectionId },
    environment: { slug: env?.slug ?? '', name: env?.name ?? '', id: r.envId },
    projectId: r.projectId,
    folder: { id: r.folderId, path },
  };
}

/** The rotation `id` of the caller's project and type, or the contract's 404. */
async function rotationOf(ctx: ServerContext, caller: Caller, provider: RotationProvider, id: string) {
  const rotation = await ctx.store.secretRotations.get(id);
  if (!rotation || rotation.projectId !== caller.access.project.id || rotation.type !== provider.type) {
    throw notFound(`Could not find Secret Rotation with ID "${id}"`);
  }
  return rotation;
}

/**
 * The project of rotation `id`, so a route naming a rotation only by id can build its caller
 * (the contract's 404 when there is none; the caller's access is checked after, in that project).
 */
export async function projectOfRotation(ctx: ServerContext, id: string): Promise<string> {
  const rotation = await ctx.store.secretRotations.get(id);
  if (!rotation) throw notFound(`Could not find Secret Rotation with ID "${id}"`);
  return rotation.projectId;
}

/** The provider of a route's rotation type. */
export function providerFor(type: string): RotationProvider {
  const provider = ROTATION_PROVIDERS[type];
  if (!provider) throw notFound(`Unknown secret rotation type "${type}"`);
  return provider;
}

/** A failed attempt, answered in words (the outside system's error; never a credential). */
const rotationFailed = (message: string | undefined) =>
  badRequest(`Failed to rotate secrets: ${message ?? 'unknown error'}`, { name: 'SecretRotationError' });

export interface CreateRotationInput {
  name: string;
  description?: string | null | undefined;
  connectionId: string;
  environment: string;
  secretPath: string;
  isAutoRotationEnabled: boolean;
  rotationInterval: number;
  rotateAtUtc: RotateAtUtc;
  parameters: Record<string, string>;
  secretsMapping: Record<string, string>;
}

/**
 * POST /api/v2/secret-rotations/:type. Checks the connection and the users, then issues the first
 * credentials (slot 0) and writes the mapped secrets, which must not exist yet; nothing is kept
 * when that first rotation fails.
 */
export async function createRotation(
  ctx: ServerContext,
  caller: Caller,
  provider: RotationProvider,
  input: CreateRotationInput,
) {
  caller.access.assert('create', 'secret-rotation');
  caller.access.assert('create', 'secrets');
  caller.access.assert('edit', 'secrets');
  const scope = new ProjectScope(ctx, caller);
  const at = await locate(scope, input.environment, input.secretPath, 'CreateSecretRotation');
  const { connection, credentials } = await connectionForUse(ctx, caller.auth, input.connectionId);
  if (connection.app !== provider.app) {
    throw badRequest(`App Connection with ID "${connection.id}" is not a ${provider.app} connection`);
  }
  if (await ctx.store.secretRotations.getByName(at.folder.id, input.name)) {
    throw badRequest(
      `A Secret Rotation with the name "${input.name}" already exists at the secret path "${at.path}"`,
    );
  }
  const keys = Object.values(input.secretsMapping);
  const existing = [];
  for (const key of keys)
    if (await ctx.store.secrets.getSecret(at.folder.id, key, 'shared')) existing.push(key);
  if (existing.length > 0) {
    throw badRequest(
      `The following secrets already exist at the secret path "${at.path}": ${existing.join(', ')}`,
    );
  }
  const invalid = await provider.validate(credentials, input.parameters);
  if (invalid) throw badRequest(invalid);

  const id = randomUUID();
  const now = new Date(ctx.now()).toISOString();
  const rotation: SecretRotationRecord = {
    id,
    projectId: scope.project.id,
    envId: at.env.id,
    folderId: at.folder.id,
    connectionId: connection.id,
    type: provider.type,
    name: input.name,
    description: input.description ?? null,
    parameters: input.parameters,
    secretsMapping: input.secretsMapping,
    generatedCredentialsCiphertext: sealGenerated(scope.dataKey, id, []),
    // The first rotation fills slot 0 (the one after the active slot 1).
    activeIndex: 1,
    isAutoRotationEnabled: input.isAutoRotationEnabled,
    rotationInterval: input.rotationInterval,
    rotateAtUtc: input.rotateAtUtc,
    rotationStatus: null,
    lastRotationAttemptedAt: null,
    lastRotatedAt: null,
    lastRotationMessage: null,
    isLastRotationManual: true,
    nextRotationAt: null,
    pendingCredentialsCiphertext: null,
    claimedBy: null,
    claimExpiresAt: null,
    createdAt: now,
    updatedAt: now,
  };
  try {
    await ctx.store.secretRotations.insert(rotation);
  } catch (error) {
    if (error instanceof StoreConflictError) {
      throw badRequest(
        `A Secret Rotation with the name "${input.name}" already exists at the secret path "${at.path}"`,
      );
    }
    throw error;
  }
  const holder = randomUUID();
  const claimed = await ctx.store.secretRotations.claim(id, holder, now, leaseUntil(ctx), false);
  const attempt = claimed ? await runClaimedRotation(ctx, caller, claimed, holder, true) : undefined;
  if (attempt?.status !== 'success') {
    await ctx.store.secretRotations.delete(id);
    throw rotationFailed(attempt?.message);
  }
  const stored = (await ctx.store.secretRotations.get(id))!;
  await caller.audit({
    type: 'create-secret-rotation',
    metadata: {
      type: provider.type,
      rotationId: id,
      name: input.name,
      environment: at.env.slug,
      secretPath: at.path,
      connectionId: connection.id,
      isAutoRotationEnabled: input.isAutoRotationEnabled,
      rotationInterval: input.rotationInterval,
      rotateAtUtc: input.rotateAtUtc,
      parameters: input.parameters,
      secretsMapping: input.secretsMapping,
    },
  });
  return { secretRotation: await rotationView(ctx, scope, stored) };
}

/** GET /api/v2/secret-rotations/:type/:rotationId. */
export async function getRotation(
  ctx: ServerContext,
  caller: Caller,
  provider: RotationProvider,
  id: string,
) {
  caller.access.assert('read', 'secret-rotation');
  const rotation = await rotationOf(ctx, caller, provider, id);
  await caller.audit({ type: 'get-secret-rotation', metadata: { type: provider.type, rotationId: id } });
  return { secretRotation: await rotationView(ctx, new ProjectScope(ctx, caller), rotation) };
}

/** GET /api/v2/secret-rotations/:type/rotation-name/:rotationName?environment&secretPath. */
export async function getRotationByName(
  ctx: ServerContext,
  caller: Caller,
  provider: RotationProvider,
  input: { rotationName: string; environment: string; secretPath: string },
) {
  caller.access.assert('read', 'secret-rotation');
  const scope = new ProjectScope(ctx, caller);
  const at = await locate(scope, input.environment, input.secretPath, 'GetSecretRotation');
  const rotation = await ctx.store.secretRotations.getByName(at.folder.id, input.rotationName);
  if (!rotation || rotation.type !== provider.type) {
    throw notFound(`Could not find Secret Rotation with name "${input.rotationName}"`);
  }
  await caller.audit({
    type: 'get-secret-rotation',
    metadata: { type: provider.type, rotationId: rotation.id },
  });
  return { secretRotation: await rotationView(ctx, scope, rotation) };
}

/** GET /api/v2/secret-rotations/:type?projectId (and every type at /api/v2/secret-rotations). */
export async function listRotations(ctx: ServerContext, caller: Caller, provider?: RotationProvider) {
  caller.access.assert('read', 'secret-rotation');
  const scope = new ProjectScope(ctx, caller);
  const rotations = await ctx.store.secretRotations.list(scope.project.id, provider?.type);
  await caller.audit({
    type: 'get-secret-rotations',
    metadata: { type: provider?.type, count: rotations.length, rotationIds: rotations.map((r) => r.id) },
  });
  return { secretRotations: await Promise.all(rotations.map((r) => rotationView(ctx, scope, r))) };
}

export interface UpdateRotationInput {
  rotationId: string;
  name?: string | undefined;
  description?: string | null | undefined;
  isAutoRotationEnabled?: boolean | undefined;
  rotationInterval?: number | undefined;
  rotateAtUtc?: RotateAtUtc | undefined;
}

/** PATCH /api/v2/secret-rotations/:type/:rotationId: the next due time follows the new schedule. */
export async function updateRotation(
  ctx: ServerContext,
  caller: Caller,
  provider: RotationProvider,
  input: UpdateRotationInput,
) {
  caller.access.assert('edit', 'secret-rotation');
  const current = await rotationOf(ctx, caller, provider, input.rotationId);
  const next: SecretRotationRecord = {
    ...current,
    name: input.name ?? current.name,
    description: input.description !== undefined ? input.description : current.description,
    isAutoRotationEnabled: input.isAutoRotationEnabled ?? current.isAutoRotationEnabled,
    rotationInterval: input.rotationInterval ?? current.rotationInterval,
    rotateAtUtc: input.rotateAtUtc ?? current.rotateAtUtc,
    updatedAt: new Date(ctx.now()).toISOString(),
  };
  const from = next.lastRotatedAt ? Date.parse(next.lastRotatedAt) : ctx.now();
  next.nextRotationAt = nextRotationAt(
    from,
    next.rotationInterval,
    next.rotateAtUtc,
    ctx.settings.rotations.dayLengthSeconds,
  );
  try {
    await ctx.store.secretRotations.updateSettings(next);
  } catch (error) {
    if (error instanceof StoreConflictError) {
      throw badRequest(`A Secret Rotation with the name "${next.name}" already exists at this secret path`);
    }
    throw error;
  }
  await caller.audit({
    type: 'update-secret-rotation',
    metadata: {
      type: provider.type,
      rotationId: current.id,
      name: input.name,
      description: input.description,
      isAutoRotationEnabled: input.isAutoRotationEnabled,
      rotationInterval: input.rotationInterval,
      rotateAtUtc: input.rotateAtUtc,
    },
  });
  return { secretRotation: await rotationView(ctx, new ProjectScope(ctx, caller), next) };
}

/**
 * DELETE /api/v2/secret-rotations/:type/:rotationId?deleteSecrets&revokeGeneratedCredentials.
 * Revoking gives both users a new password nobody keeps.
 */
export async function deleteRotation(
  ctx: ServerContext,
  caller: Caller,
  provider: RotationProvider,
  input: { rotationId: string; deleteSecrets: boolean; revokeGeneratedCredentials: boolean },
) {
  caller.access.assert('delete', 'secret-rotation');
  if (input.deleteSecrets) caller.access.assert('delete', 'secrets');
  const rotation = await rotationOf(ctx, caller, provider, input.rotationId);
  const scope = new ProjectScope(ctx, caller);
  const shown = await rotationView(ctx, scope, rotation);
  if (input.revokeGeneratedCredentials) {
    const { credentials } = await connectionForUse(ctx, caller.auth, rotation.connectionId);
    try {
      for (const index of [0, 1]) {
        await provider.install(
          credentials,
          provider.nextCredentials(rotation.parameters as Record<string, string>, index),
        );
      }
    } catch (error) {
      throw badRequest(`Failed to revoke the generated credentials: ${(error as Error).message}`);
    }
  }
  await ctx.store.secretRotations.delete(rotation.id);
  if (input.deleteSecrets) {
    const secrets = [];
    for (const key of Object.values(rotation.secretsMapping)) {
      const secret = await ctx.store.secrets.getSecret(rotation.folderId, key, 'shared');
      if (secret) secrets.push(secret);
    }
    if (secrets.length > 0) await commitSecretWrites(scope, [], secrets);
  }
  await caller.audit({
    type: 'delete-secret-rotation',
    metadata: {
      type: provider.type,
      rotationId: rotation.id,
      deleteSecrets: input.deleteSecrets,
      revokeGeneratedCredentials: input.revokeGeneratedCredentials,
    },
  });
  return { secretRotation: shown };
}

/**
 * POST /api/v2/secret-rotations/:type/:rotationId/rotate-secrets: one attempt now, under the
 * rotation's lease (409 while another attempt, e.g. the scheduler on another replica, holds it).
 */
export async function rotateNow(ctx: ServerContext, caller: Caller, provider: RotationProvider, id: string) {
  caller.access.assert('rotateSecrets', 'secret-rotation');
  await rotationOf(ctx, caller, provider, id);
  const holder = randomUUID();
  const now = new Date(ctx.now()).toISOString();
  const claimed = await ctx.store.secretRotations.claim(id, holder, now, leaseUntil(ctx), false);
  if (!claimed)
    throw conflict('The secret rotation is being rotated by another request; retry when it is done');
  const attempt = await runClaimedRotation(ctx, caller, claimed, holder, true);
  if (attempt.status === 'failed') throw rotationFailed(attempt.message);
  const rotation = (await ctx.store.secretRotations.get(id))!;
  return { secretRotation: await rotationView(ctx, new ProjectScope(ctx, caller), rotation) };
}

/** GET /api/v2/secret-rotations/:type/:rotationId/generated-credentials: both slots, in the clear. */
export async function generatedCredentials(
  ctx: ServerContext,
  caller: Caller,
  provider: RotationProvider,
  id: string,
) {
  caller.access.assert('readGeneratedCredentials', 'secret-rotation');
  const rotation = await rotationOf(ctx, caller, provider, id);
  const scope = new ProjectScope(ctx, caller);
  const credentials = openGenerated(scope.dataKey, rotation.id, rotation.generatedCredentialsCiphertext);
  await caller.audit({
    type: 'get-secret-rotation-generated-credentials',
    metadata: { type: provider.type, rotationId: id },
  });
  return {
    generatedCredentials: credentials,
    activeIndex: rotation.activeIndex,
    rotationId: rotation.id,
    type: provider.type,
  };
}
