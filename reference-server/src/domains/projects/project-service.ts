/**
 * Project services: create (with default environments and the creator as admin), list, read,
 * update and delete projects. Never returns key material; no HTTP here.
 */
import { randomUUID } from 'node:crypto';
import type { ServerContext } from '../../context.js';
import { badRequest, forbidden } from '../../http/errors.js';
import { accessFor } from '../../auth/permissions.js';
import type { OrgCaller, ProjectCaller } from '../../shared/callers.js';
import { randomSlug } from '../../shared/schemas.js';
import type { EnvironmentRecord, ProjectRecord } from '../../store/records.js';
import { projectWithEnvironments } from './project-views.js';

const DEFAULT_ENVIRONMENTS = [
  { name: 'Development', slug: 'dev' },
  { name: 'Staging', slug: 'staging' },
  { name: 'Production', slug: 'prod' },
];

/** A project as the API shows it, with its environments. */
export type ProjectWithEnvironments = ReturnType<typeof projectWithEnvironments>;

/** What a project creation asks for (the create body, validated). */
export interface CreateProjectInput {
  projectName: string;
  projectDescription?: string | undefined;
  slug?: string | undefined;
  template: string;
  type: string;
  shouldCreateDefaultEnvs: boolean;
  hasDeleteProtection: boolean;
}

/** The fields a project update may change; an absent field keeps its value. */
export interface UpdateProjectInput {
  name?: string | undefined;
  description?: string | undefined;
  autoCapitalization?: boolean | undefined;
  hasDeleteProtection?: boolean | undefined;
  slug?: string | undefined;
  pitVersionLimit?: number | undefined;
}

async function withEnvironments(
  ctx: ServerContext,
  project: ProjectRecord,
): Promise<ProjectWithEnvironments> {
  return projectWithEnvironments(project, await ctx.store.projects.listEnvironments(project.id));
}

/** Creates a project (with dev, staging and prod unless asked not to) and makes the caller its admin. */
export async function createProject(
  ctx: ServerContext,
  caller: OrgCaller,
  input: CreateProjectInput,
): Promise<ProjectWithEnvironments> {
  const { projects } = ctx.store;
  const { auth } = caller;
  if (auth.identity.orgRole !== 'admin' && auth.identity.orgRole !== 'member') {
    throw forbidden("You don't have permission to create a project");
  }
  if (input.template !== 'default') throw badRequest(`Project template '${input.template}' not found`);
  const slug = input.slug ?? randomSlug(input.projectName);
  if (await projects.getProjectBySlug(auth.orgId, slug)) {
    throw badRequest(
      `A project with the slug "${slug}" already exists in your organization. Please choose a different name or slug.`,
    );
  }
  const iso = new Date(ctx.now()).toISOString();
  const project: ProjectRecord = {
    id: randomUUID(),
    orgId: auth.orgId,
    name: input.projectName,
    slug,
    description: input.projectDescription ?? null,
    type: input.type,
    autoCapitalization: false,
    hasDeleteProtection: input.hasDeleteProtection,
    dataKey: (await ctx.keys.generateDataKey()).wrapped,
    contentVersion: 1,
    pitVersionLimit: 10,
    createdAt: iso,
    updatedAt: iso,
  };
  const environments: EnvironmentRecord[] = (input.shouldCreateDefaultEnvs ? DEFAULT_ENVIRONMENTS : []).map(
    (e, i) => ({
      id: randomUUID(),
      projectId: project.id,
      name: e.name,
      slug: e.slug,
      position: i + 1,
      createdAt: iso,
      updatedAt: iso,
    }),
  );
  await projects.createProject({
    project,
    environments,
    rootFolderIds: environments.map(() => randomUUID()),
    creatorMembership: {
      id: randomUUID(),
      projectId: project.id,
      identityId: auth.identity.id,
      createdAt: iso,
      updatedAt: iso,
      roles: [
        {
          id: randomUUID(),
          role: 'admin',
          isTemporary: false,
          temporaryMode: null,
          temporaryRange: null,
          temporaryAccessStartTime: null,
          temporaryAccessEndTime: null,
          createdAt: iso,
          updatedAt: iso,
        },
      ],
    },
  });
  await caller.audit({
    type: 'create-project',
    metadata: { projectId: project.id, slug: project.slug, name: project.name },
    projectId: project.id,
    projectName: project.name,
  });
  return withEnvironments(ctx, project);
}

/** Projects the caller is a member of with a role that may read them (no-access may not). */
export async function listProjects(
  ctx: ServerContext,
  caller: OrgCaller,
): Promise<ProjectWithEnvironments[]> {
  const visible: ProjectRecord[] = [];
  for (const project of await ctx.store.projects.listProjectsForIdentity(caller.auth.identity.id)) {
    if ((await accessFor(ctx, caller.auth, project)).can('read', 'project')) visible.push(project);
  }
  return Promise.all(visible.map((p) => withEnvironments(ctx, p)));
}

/** The caller's project, if its roles let it read the project at all (no-access does not). */
export async function readProject(
  ctx: ServerContext,
  caller: ProjectCaller,
): Promise<ProjectWithEnvironments> {
  caller.access.assert('read', 'project');
  return withEnvironments(ctx, caller.access.project);
}

/** Updates the caller's project (settings rights); a slug taken in the organization is 400. */
export async function updateProject(
  ctx: ServerContext,
  caller: ProjectCaller,
  input: UpdateProjectInput,
): Promise<ProjectWithEnvironments> {
  caller.access.assert('edit', 'settings');
  const { project } = caller.access;
  if (
    input.slug &&
    input.slug !== project.slug &&
    (await ctx.store.projects.getProjectBySlug(project.orgId, input.slug))
  ) {
    // Upstream's words (project-service.ts, updateProject).
    throw badRequest(
      `Failed to update project. A project with the slug "${input.slug}" already exists in your organization. Please choose a different slug.`,
    );
  }
  const updated: ProjectRecord = {
    ...project,
    name: input.name ?? project.name,
    description: input.description ?? project.description,
    autoCapitalization: input.autoCapitalization ?? project.autoCapitalization,
    hasDeleteProtection: input.hasDeleteProtection ?? project.hasDeleteProtection,
    slug: input.slug ?? project.slug,
    pitVersionLimit: input.pitVersionLimit ?? project.pitVersionLimit,
    updatedAt: new Date(ctx.now()).toISOString(),
  };
  await ctx.store.projects.updateProject(updated);
  await caller.audit({
    type: 'update-project',
    metadata: { projectId: project.id },
    projectId: project.id,
    projectName: updated.name,
  });
  return withEnvironments(ctx, updated);
}

/** Deletes the caller's project with everything in it, unless delete protection is on. */
export async function deleteProject(
  ctx: ServerContext,
  caller: ProjectCaller,
): Promise<ProjectWithEnvironments> {
  caller.access.assert('delete', 'project');
  const { project } = caller.access;
  if (project.hasDeleteProtection) throw forbidden('Project delete protection is enabled');
  await ctx.store.projects.deleteProject(project.id);
  await caller.audit({
    type: 'delete-project',
    metadata: { projectId: project.id },
    projectId: project.id,
    projectName: project.name,
  });
  return withEnvironments(ctx, project);
}
