/**
 * Secret versions: the kept history of one secret, and rolling a secret back to one of its
 * versions (docs/reference/api.md#secret-versions-and-snapshots). History is append-only: a
 * rollback writes the chosen version's content as a new version, through the one write path.
 */
import type { AuthContext, ServerContext } from '../../context.js';
import { notFound } from '../../http/errors.js';
import type { SecretRecord } from '../../store/records.js';
import { type Caller, ProjectScope } from './project-scope.js';
import { auditedSecret, secretAtVersion } from './secret-common.js';
import { baseSecretView, HIDDEN_SECRET_VALUE } from './secret-views.js';
import { commitSecretWrites, existingSecretPlan } from './secret-writes.js';

const secretNotFound = (secretId: string) => notFound(`Secret with ID '${secretId}' not found`);

/**
 * The project of a secret named by id, for building the caller. A secret of another organization
 * is not found (its project is not named); a project the caller is not a member of is refused by
 * the caller's project access (403).
 */
export async function projectOfSecret(ctx: ServerContext, auth: AuthContext, secretId: string) {
  const secret = await ctx.store.secrets.getSecretById(secretId);
  const project = secret && (await ctx.store.projects.getProject(secret.projectId));
  if (!project || project.orgId !== auth.orgId) throw secretNotFound(secretId);
  return project.id;
}

/** The secret in the caller's project, or 404. */
async function secretInScope(scope: ProjectScope, secretId: string) {
  const secret = await scope.ctx.store.secrets.getSecretById(secretId);
  if (!secret || secret.projectId !== scope.project.id) throw secretNotFound(secretId);
  const env = await scope.envById(secret.envId);
  if (!env) throw secretNotFound(secretId);
  return { secret, env };
}

export interface ListSecretVersionsInput {
  secretId: string;
  offset: number;
  limit: number;
}

/**
 * GET /api/v1/secret/:secretId/secret-versions: the kept versions, newest first, with values
 * only for callers who may read values (others see the mask and `secretValueHidden: true`).
 */
export async function listSecretVersions(ctx: ServerContext, caller: Caller, input: ListSecretVersionsInput) {
  caller.access.assert('read', 'secret-rollback');
  const viewValue = caller.access.can('readValue', 'secrets');
  const scope = new ProjectScope(ctx, caller);
  const { secret, env } = await secretInScope(scope, input.secretId);
  const tree = await scope.tree(env);
  const versions = await ctx.store.secrets.listSecretVersions(secret.id, input);
  const secretVersions = versions.map((version) => {
    const at = secretAtVersion(secret, version);
    const plain = scope.open(at);
    return {
      ...baseSecretView(at, {
        workspace: scope.project.id,
        envSlug: env.slug,
        value: viewValue ? plain.value : HIDDEN_SECRET_VALUE,
        comment: plain.comment,
        reminderNote: plain.reminderNote,
      }),
      secretPath: tree.pathOf(version.folderId),
      secretValueHidden: !viewValue,
    };
  });
  // Upstream has no event of its own for this read; it is a read of the secret (never values).
  await caller.audit({
    type: 'get-secret',
    metadata: {
      environment: env.slug,
      secretPath: tree.pathOf(secret.folderId),
      ...auditedSecret(secret),
      secretVersions: versions.map((v) => v.version),
    },
  });
  return { secretVersions };
}

export interface RollbackSecretInput {
  secretId: string;
  version: number;
}

/**
 * POST /api/v1/secret/:secretId/secret-versions/rollback: writes the value, comment, metadata and
 * multi-line flag of a kept version as the secret's next version (the key, tags and reminder stay
 * as they are now). Audited as upstream's `update-secret`, naming the version rolled back to.
 */
export async function rollbackSecret(ctx: ServerContext, caller: Caller, input: RollbackSecretInput) {
  caller.access.assert('create', 'secret-rollback');
  caller.access.assert('edit', 'secrets');
  const scope = new ProjectScope(ctx, caller);
  const { secret, env } = await secretInScope(scope, input.secretId);
  const old = await ctx.store.secrets.getSecretVersion(secret.id, input.version);
  if (!old) {
    throw notFound(
      `Version ${input.version} of secret with ID '${secret.id}' not found (the project keeps the last ${scope.project.pitVersionLimit} versions)`,
    );
  }
  const restored = scope.open(secretAtVersion(secret, old));
  const plan = existingSecretPlan(scope, secret);
  plan.plain.value = restored.value;
  plan.plain.comment = restored.comment;
  plan.plain.metadata = [...restored.metadata];
  plan.skipMultilineEncoding = old.skipMultilineEncoding;
  const stored = (await commitSecretWrites(scope, [plan])).get(plan.id) as SecretRecord;
  const secretPath = (await scope.tree(env)).pathOf(stored.folderId);
  await caller.audit({
    type: 'update-secret',
    metadata: {
      environment: env.slug,
      secretPath,
      ...auditedSecret(stored),
      rolledBackToVersion: old.version,
    },
  });
  const viewValue = caller.access.can('readValue', 'secrets');
  return {
    secret: {
      ...baseSecretView(stored, {
        workspace: scope.project.id,
        envSlug: env.slug,
        value: viewValue ? plan.plain.value : HIDDEN_SECRET_VALUE,
        comment: plan.plain.comment,
        reminderNote: plan.plain.reminderNote,
      }),
      secretPath,
      secretValueHidden: !viewValue,
    },
  };
}
