/**
 * One rotation attempt, the same for a scheduled, an on-demand and a first (create) run, by the
 * holder of the rotation's lease (SecretRotationStore.claim):
 *
 * 0. choose the credentials: the pending ones of an attempt that crashed, else new ones for the
 *    slot not in use, stored (sealed) as pending before anything outside changes;
 * 1. install them in the outside system (the provider; idempotent);
 * 2. write them into the mapped secrets (the secrets write path), then record them as the active
 *    slot, clear the pending ones and release the lease.
 *
 * A crash anywhere leaves either nothing changed or pending credentials that the next holder
 * installs and writes again, so apps never get a password that a later step overwrites, and the
 * previously active user keeps its password until the rotation after this one.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { ServerContext } from '../../context.js';
import type { SecretRotationRecord } from '../../store/records.js';
import { connectionCredentials } from '../app-connections/app-connection-service.js';
import { describeConnectionError } from '../app-connections/postgres-connection.js';
import type { Caller } from '../secrets/project-scope.js';
import { writeRotatedSecrets } from '../secrets/rotated-secrets.js';
import {
  openGenerated,
  openPending,
  type PendingCredentials,
  sealGenerated,
  sealPending,
} from './rotation-crypto.js';
import { ROTATION_PROVIDERS } from './postgres-credentials-provider.js';
import { nextRotationAt } from './rotation-schedule.js';

/** The lease was taken over (the attempt outlived it): this holder stops without writing. */
class LeaseLostError extends Error {}

/** What an attempt came to. */
export interface RotationAttempt {
  status: 'success' | 'failed' | 'lease-lost';
  /** The failure in words (no credential), when it failed. */
  message?: string;
}

/** The lease expiry for a claim taken now. */
export const leaseUntil = (ctx: ServerContext) =>
  new Date(ctx.now() + ctx.settings.rotations.leaseSeconds * 1000).toISOString();

/**
 * Runs one attempt of a rotation the caller's `holder` has claimed; records the outcome and
 * audits it (`secret-rotation-rotate-secrets`) with `caller`, who also authors the secret writes.
 */
export async function runClaimedRotation(
  ctx: ServerContext,
  caller: Caller,
  rotation: SecretRotationRecord,
  holder: string,
  manual: boolean,
): Promise<RotationAttempt> {
  const provider = ROTATION_PROVIDERS[rotation.type];
  if (!provider) throw new Error(`no provider for rotation type ${rotation.type}`);
  const store = ctx.store.secretRotations;
  const key = caller.access.dataKey;
  const log = ctx.logger.child({ rotationId: rotation.id, rotationType: rotation.type });
  const resumed = rotation.pendingCredentialsCiphertext !== null;
  const rotatedAt = ctx.now();
  const attemptedAt = new Date(rotatedAt).toISOString();
  const next = nextRotationAt(
    rotatedAt,
    rotation.rotationInterval,
    rotation.rotateAtUtc,
    ctx.settings.rotations.dayLengthSeconds,
  );
  const auditAttempt = (status: 'success' | 'failed', extra: Record<string, unknown>) =>
    caller.audit({
      type: 'secret-rotation-rotate-secrets',
      metadata: {
        type: rotation.type,
        rotationId: rotation.id,
        name: rotation.name,
        isManual: manual,
        resumed,
        rotationStatus: status,
        ...extra,
      },
    });
  // Once phase 2 starts the mapped secrets may hold the pending credentials: a failure from then
  // on keeps them pending, so the retry writes the same ones instead of replacing a password apps may use.
  let secretsMayHoldPending = resumed;
  try {
    let pending: PendingCredentials;
    if (rotation.pendingCredentialsCiphertext) {
      pending = openPending(key, rotation.id, rotation.pendingCredentialsCiphertext);
      log.info({ slot: pending.index }, 'secret rotation: resuming an unfinished rotation');
    } else {
      const index = (rotation.activeIndex + 1) % 2;
      pending = { index, ...provider.nextCredentials(rotation.parameters as Record<string, string>, index) };
      if (!(await store.setPending(rotation.id, holder, sealPending(key, rotation.id, pending))))
        throw new LeaseLostError();
    }
    const { credentials: connection } = await connectionCredentials(ctx, rotation.connectionId);
    await provider.install(connection, pending);
    log.info(
      { slot: pending.index, username: pending.username },
      'secret rotation: phase 1 done (credentials installed)',
    );
    if (ctx.settings.rotations.pauseBetweenPhasesMs > 0)
      await sleep(ctx.settings.rotations.pauseBetweenPhasesMs);

    const values = provider.secretValues(rotation.secretsMapping, pending);
    secretsMayHoldPending = true;
    const written = await writeRotatedSecrets(
      ctx,
      caller,
      { envId: rotation.envId, folderId: rotation.folderId },
      values,
    );
    const generated = openGenerated(key, rotation.id, rotation.generatedCredentialsCiphertext);
    generated[pending.index] = { username: pending.username, password: pending.password };
    const recorded = await store.finish(rotation.id, holder, {
      rotationStatus: 'success',
      lastRotationAttemptedAt: attemptedAt,
      lastRotationMessage: null,
      isLastRotationManual: manual,
      nextRotationAt: next,
      generatedCredentialsCiphertext: sealGenerated(key, rotation.id, generated),
      activeIndex: pending.index,
      lastRotatedAt: attemptedAt,
    });
    if (!recorded) throw new LeaseLostError();
    log.info({ slot: pending.index, secretKeys: written }, 'secret rotation: phase 2 done (secrets written)');
    await auditAttempt('success', { activeIndex: pending.index, secretKeys: Object.keys(values) });
    return { status: 'success' };
  } catch (error) {
    if (error instanceof LeaseLostError) {
      log.warn('secret rotation: the lease was taken over; this attempt stops');
      return { status: 'lease-lost' };
    }
    const message = describeConnectionError(error);
    log.error({ err: { message } }, 'secret rotation failed');
    await store.finish(rotation.id, holder, {
      rotationStatus: 'failed',
      lastRotationAttemptedAt: attemptedAt,
      lastRotationMessage: message,
      isLastRotationManual: manual,
      nextRotationAt: next,
      keepPending: secretsMayHoldPending,
    });
    await auditAttempt('failed', { message });
    return { status: 'failed', message };
  }
}
