/**
 * The secrets a secret rotation maps its credentials to (domains/rotations/), written through the
 * one write path (secret-writes.ts) so they get versions and everything that follows a write.
 */
import type { ServerContext } from '../../context.js';
import { badRequest } from '../../http/errors.js';
import { type Caller, ProjectScope } from './project-scope.js';
import {
  commitSecretWrites,
  existingSecretPlan,
  newSecretPlan,
  type PlannedSecret,
} from './secret-writes.js';

/**
 * Sets each `key` of the folder to its value: a new version where the value differs, a new
 * secret where there is none. Returns the keys written (none when all already held these values:
 * a rotation resumed after a crash writes nothing twice).
 */
export async function writeRotatedSecrets(
  ctx: ServerContext,
  caller: Caller,
  at: { envId: string; folderId: string },
  values: Record<string, string>,
): Promise<string[]> {
  const scope = new ProjectScope(ctx, caller);
  const plans: PlannedSecret[] = [];
  for (const [key, value] of Object.entries(values)) {
    const current = await ctx.store.secrets.getSecret(at.folderId, key, 'shared');
    if (current) {
      const plan = existingSecretPlan(scope, current);
      if (plan.plain.value === value) continue;
      plan.plain.value = value;
      plans.push(plan);
    } else {
      const plain = { value, comment: '', metadata: [], reminderNote: null };
      plans.push(newSecretPlan({ folderId: at.folderId, envId: at.envId, key }, { plain }));
    }
  }
  if (plans.length > 0) await commitSecretWrites(scope, plans);
  return plans.map((p) => p.key);
}

/**
 * Refuses (400, as upstream) a hand-made update or delete of secrets a secret rotation writes: the
 * rotation owns them until it is deleted.
 */
export async function refuseRotatedSecrets(
  ctx: ServerContext,
  folderId: string,
  keys: string[],
  verb: 'update' | 'delete',
): Promise<void> {
  if (keys.length === 0) return;
  for (const rotation of await ctx.store.secretRotations.listByFolder(folderId)) {
    const owned = keys.find((key) => Object.values(rotation.secretsMapping).includes(key));
    if (owned !== undefined) {
      throw badRequest(
        `Cannot ${verb} rotated secret ${owned}: it is managed by the secret rotation ${rotation.name}`,
      );
    }
  }
}
