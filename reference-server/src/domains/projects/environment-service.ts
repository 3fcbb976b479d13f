/**
 * Environment services: create, read, list, rename or move, and delete the environments of the
 * caller's project. Rights are checked here; no HTTP.
 */
import { randomUUID } from 'node:crypto';
import type { ServerContext } from '../../context.js';
import { badRequest, notFound } from '../../http/errors.js';
import type { ProjectCaller } from '../../shared/callers.js';
import type { EnvironmentRecord } from '../../store/records.js';

/** A new environment: without a position it goes last; a taken one moves the others down. */
export interface CreateEnvironmentInput {
  name: string;
  slug: string;
  position?: number | undefined;
}

/** The fields an environment update may change; an absent field keeps its value. */
export interface UpdateEnvironmentInput {
  name?: string | undefined;
  slug?: string | undefined;
  position?: number | undefined;
}

/** An environment of the caller's project, after the right to `action` on environments is checked. */
async function environmentOf(
  ctx: ServerContext,
  caller: ProjectCaller,
  envId: string,
  action: 'read' | 'edit' | 'delete',
): Promise<EnvironmentRecord> {
  caller.access.assert(action, 'environments');
  const projectId = caller.access.project.id;
  const env = await ctx.store.projects.getEnvironment(envId);
  // Upstream's words (project-env-service.ts): the read names the id, the writes the project too.
  if (!env || env.projectId !== projectId) {
    throw notFound(
      action === 'read'
        ? `Environment with ID '${envId}' not found`
        : `Environment with id '${envId}' in project with ID '${projectId}' not found`,
    );
  }
  return env;
}

/** Creates an environment (with its root folder) in the caller's project; a taken slug is 400. */
export async function createEnvironment(
  ctx: ServerContext,
  caller: ProjectCaller,
  input: CreateEnvironmentInput,
): Promise<EnvironmentRecord> {
  const { projects } = ctx.store;
  caller.access.assert('create', 'environments');
  const projectId = caller.access.project.id;
  const existing = await projects.listEnvironments(projectId);
  if (existing.some((e) => e.slug === input.slug)) {
    throw badRequest('Environment with slug already exist', { name: 'CreateEnvironment' });
  }
  const iso = new Date(ctx.now()).toISOString();
  // The store keeps the positions a sequence.
  const env = await projects.createEnvironment(
    {
      id: randomUUID(),
      projectId,
      name: input.name,
      slug: input.slug,
      position: input.position,
      createdAt: iso,
      updatedAt: iso,
    },
    randomUUID(),
  );
  await projects.touchContent(projectId);
  await caller.audit({
    type: 'create-environment',
    metadata: { name: env.name, slug: env.slug },
    projectId,
  });
  return env;
}

/** The environments of the caller's project, by position. */
export async function listEnvironments(
  ctx: ServerContext,
  caller: ProjectCaller,
): Promise<EnvironmentRecord[]> {
  caller.access.assert('read', 'environments');
  return ctx.store.projects.listEnvironments(caller.access.project.id);
}

/** One environment of the caller's project. */
export function readEnvironment(
  ctx: ServerContext,
  caller: ProjectCaller,
  envId: string,
): Promise<EnvironmentRecord> {
  return environmentOf(ctx, caller, envId, 'read');
}

/** Renames or moves an environment (the environments in between shift); a taken slug is 400. */
export async function updateEnvironment(
  ctx: ServerContext,
  caller: ProjectCaller,
  input: UpdateEnvironmentInput & { envId: string },
): Promise<EnvironmentRecord> {
  const { projects } = ctx.store;
  const { envId, ...fields } = input;
  const env = await environmentOf(ctx, caller, envId, 'edit');
  if (
    fields.slug &&
    fields.slug !== env.slug &&
    (await projects.getEnvironmentBySlug(env.projectId, fields.slug))
  ) {
    throw badRequest('Environment with slug already exist', { name: 'UpdateEnvironment' });
  }
  const updated: EnvironmentRecord = {
    ...env,
    ...Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== undefined)),
    updatedAt: new Date(ctx.now()).toISOString(),
  };
  await projects.updateEnvironment(updated);
  await projects.touchContent(env.projectId);
  await caller.audit({
    type: 'update-environment',
    metadata: { oldSlug: env.slug, newSlug: updated.slug },
    projectId: env.projectId,
  });
  return updated;
}

/** Deletes an environment with its folders and secrets. */
export async function deleteEnvironment(
  ctx: ServerContext,
  caller: ProjectCaller,
  envId: string,
): Promise<EnvironmentRecord> {
  const env = await environmentOf(ctx, caller, envId, 'delete');
  await ctx.store.projects.deleteEnvironment(env.id);
  await ctx.store.projects.touchContent(env.projectId);
  await caller.audit({ type: 'delete-environment', metadata: { slug: env.slug }, projectId: env.projectId });
  return env;
}
