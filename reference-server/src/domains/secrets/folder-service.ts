/**
 * Folder services: create, rename, list and delete folders of an environment. Rights are checked
 * here; no HTTP.
 */
import { randomUUID } from 'node:crypto';
import type { ServerContext } from '../../context.js';
import { badRequest, notFound, ValidationError } from '../../http/errors.js';
import type { EnvironmentRecord } from '../../store/records.js';
import { StoreConflictError } from '../../store/contract.js';
import type { FolderRecord } from '../../store/records.js';
import { publishFolderChanges } from '../changes/change-notices.js';
import { type FolderTree, loadFolderTree } from './folder-tree.js';
import { FOLDER_NAME_PATTERN, joinPath, pathSegments } from './paths.js';
import type { Caller } from './project-scope.js';
import { ProjectScope } from './project-scope.js';

/** The folder object (docs/reference/api.md#folders); `extra` adds the per-route fields. */
export function folderView(folder: FolderRecord, extra: Record<string, unknown> = {}) {
  return {
    id: folder.id,
    name: folder.name,
    version: folder.version,
    createdAt: folder.createdAt,
    updatedAt: folder.updatedAt,
    envId: folder.envId,
    parentId: folder.parentId,
    isReserved: false,
    description: folder.description,
    lastSecretModified: null,
    ...extra,
  };
}

async function envAndTree(ctx: ServerContext, caller: Caller, envSlug: string) {
  const env = await new ProjectScope(ctx, caller).envBySlug(envSlug);
  return { env, tree: await loadFolderTree(ctx, env) };
}

const folderNameTaken = () =>
  badRequest('Folder with specified name already exists', { name: 'UpdateFolder' });

const folderPathNotFound = (path: string, env: EnvironmentRecord, name?: string) =>
  notFound(`Folder with path '${path}' in environment with slug '${env.slug}' not found`, { name });

export interface FolderLocationInput {
  environment: string;
  path: string;
}

/** GET /api/v1/folders: children of the folder at `path`, or every descendant when recursive. */
export async function listFolders(
  ctx: ServerContext,
  caller: Caller,
  input: FolderLocationInput & { recursive: boolean },
) {
  caller.access.assert('read', 'secret-folders');
  const { tree } = await envAndTree(ctx, caller, input.environment);
  const parent = tree.find(input.path);
  if (!parent) return { folders: [] };
  if (!input.recursive) return { folders: tree.childrenOf(parent.id).map((f) => folderView(f)) };
  const base = tree.pathOf(parent.id);
  const folders = tree
    .subtree(parent)
    .slice(1)
    .map((f) => {
      const path = tree.pathOf(f.id);
      return folderView(f, { relativePath: base === '/' ? path : path.slice(base.length) });
    });
  return { folders };
}

/** GET /api/v1/folders/:id; the project is found through the folder, then access is checked. */
export async function getFolderById(
  ctx: ServerContext,
  folderId: string,
  callerForProject: (projectId: string) => Promise<Caller>,
) {
  const folder = await ctx.store.secrets.getFolder(folderId);
  const env = folder && (await ctx.store.projects.getEnvironment(folder.envId));
  if (!folder || !env) throw notFound(`Folder with ID '${folderId}' not found`);
  const caller = await callerForProject(env.projectId);
  caller.access.assert('read', 'secret-folders');
  const tree = await loadFolderTree(ctx, env);
  return {
    folder: folderView(folder, {
      environment: { envId: env.id, envName: env.name, envSlug: env.slug },
      path: tree.pathOf(folder.id),
      projectId: env.projectId,
    }),
  };
}

/**
 * POST /api/v1/folders: creates the folder and any missing parents. Idempotent as upstream's
 * (secret-folder-service.ts `createFolder`): a folder that already exists is answered as it is.
 */
export async function createFolder(
  ctx: ServerContext,
  caller: Caller,
  input: FolderLocationInput & { name: string; description?: string | null | undefined },
) {
  caller.access.assert('create', 'secret-folders');
  const { env, tree } = await envAndTree(ctx, caller, input.environment);
  const fullPath = joinPath(input.path, input.name);
  const existing = tree.find(fullPath);
  if (existing) return { folder: folderView(existing, { path: fullPath }) };
  const now = new Date(ctx.now()).toISOString();
  const created: FolderRecord[] = [];
  let parent = tree.root;
  for (const segment of pathSegments(fullPath)) {
    const existing = created.length === 0 ? tree.child(parent.id, segment) : undefined;
    if (existing) {
      parent = existing;
      continue;
    }
    // Parents created on the way obey the folder-name rule like the leaf does.
    if (!FOLDER_NAME_PATTERN.test(segment)) {
      throw new ValidationError([
        {
          code: 'custom',
          message: `Invalid folder name '${segment}' in path. Only alphanumeric characters, dashes, and underscores are allowed.`,
          path: ['body', 'path'],
        },
      ]);
    }
    const folder: FolderRecord = {
      id: randomUUID(),
      envId: env.id,
      parentId: parent.id,
      name: segment,
      description: null,
      version: 1,
      createdAt: now,
      updatedAt: now,
    };
    created.push(folder);
    parent = folder;
  }
  const folder = { ...parent, description: input.description ?? null };
  created[created.length - 1] = folder;
  try {
    await ctx.store.secrets.insertFolders(created);
  } catch (error) {
    // A concurrent create of the same folder won: answer with it, as a later create would.
    const raced = error instanceof StoreConflictError && (await loadFolderTree(ctx, env)).find(fullPath);
    if (raced) return { folder: folderView(raced, { path: fullPath }) };
    throw error;
  }
  await ctx.store.projects.touchContent(caller.access.project.id);
  await caller.audit({
    type: 'create-folder',
    metadata: {
      environment: env.slug,
      folderId: folder.id,
      folderName: folder.name,
      folderPath: fullPath,
      ...(folder.description ? { description: folder.description } : {}),
    },
  });
  return { folder: folderView(folder, { path: fullPath }) };
}

/** The folder named by id or name under `parentPath`; upstream's 404 words (secret-folder-service.ts). */
function folderIn(
  tree: FolderTree,
  parentPath: string,
  idOrName: string,
  env: EnvironmentRecord,
  name?: string,
) {
  const parent = tree.find(parentPath);
  if (!parent) throw folderPathNotFound(parentPath, env, name);
  const folder = tree.childrenOf(parent.id).find((f) => f.id === idOrName || f.name === idOrName);
  if (!folder) throw notFound(`Folder with ID '${idOrName}' not found`, { name });
  return folder;
}

/** PATCH /api/v1/folders/:folderId: renames (and re-describes) a folder under `path`. */
export async function updateFolder(
  ctx: ServerContext,
  caller: Caller,
  folderId: string,
  input: FolderLocationInput & { name: string; description?: string | null | undefined },
) {
  caller.access.assert('edit', 'secret-folders');
  const { env, tree } = await envAndTree(ctx, caller, input.environment);
  const current = folderIn(tree, input.path, folderId, env, 'UpdateFolder');
  if (current.parentId === null)
    throw notFound(`Folder with ID '${folderId}' not found`, { name: 'UpdateFolder' });
  if (input.name !== current.name && tree.child(current.parentId, input.name)) {
    throw folderNameTaken();
  }
  const updated: FolderRecord = {
    ...current,
    name: input.name,
    description: input.description === undefined ? current.description : input.description,
    version: current.version + 1,
    updatedAt: new Date(ctx.now()).toISOString(),
  };
  try {
    await ctx.store.secrets.updateFolder(updated);
  } catch (error) {
    if (error instanceof StoreConflictError) throw folderNameTaken();
    throw error;
  }
  await ctx.store.projects.touchContent(caller.access.project.id);
  const path = joinPath(input.path, updated.name);
  // Recursive listings see the secrets below the folder move from the old path to the new one.
  await publishFolderChanges(new ProjectScope(ctx, caller), [
    { envId: env.id, secretPath: joinPath(input.path, current.name) },
    { envId: env.id, secretPath: path },
  ]);
  await caller.audit({
    type: 'update-folder',
    metadata: {
      environment: env.slug,
      folderId: updated.id,
      folderPath: path,
      oldFolderName: current.name,
      newFolderName: updated.name,
    },
  });
  return { folder: folderView(updated, { path }) };
}

/** DELETE /api/v1/folders/:folderIdOrName: always deletes the contents too. */
export async function deleteFolder(
  ctx: ServerContext,
  caller: Caller,
  idOrName: string,
  input: FolderLocationInput,
) {
  caller.access.assert('delete', 'secret-folders');
  const { env, tree } = await envAndTree(ctx, caller, input.environment);
  const folder = folderIn(tree, input.path, idOrName, env);
  await ctx.store.secrets.deleteFolder(folder.id, new Date(ctx.now()).toISOString());
  await ctx.store.projects.touchContent(caller.access.project.id);
  const path = joinPath(input.path, folder.name);
  await publishFolderChanges(new ProjectScope(ctx, caller), [{ envId: env.id, secretPath: path }]);
  await caller.audit({
    type: 'delete-folder',
    metadata: { environment: env.slug, folderId: folder.id, folderName: folder.name, folderPath: path },
  });
  return { folder: folderView(folder) };
}
