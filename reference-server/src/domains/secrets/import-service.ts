/**
 * Secret import services: create, read, list, update and delete the imports of a folder, and list
 * the secrets they bring. Rights are checked here; no HTTP.
 */
import { randomUUID } from 'node:crypto';
import type { ServerContext } from '../../context.js';
import { badRequest, notFound } from '../../http/errors.js';
import type { EnvironmentRecord } from '../../store/records.js';
import type { FolderRecord, SecretImportRecord } from '../../store/records.js';
import { publishFolderChanges } from '../changes/change-notices.js';
import { MAX_IMPORT_DEPTH, resolveImports } from './import-resolution.js';
import { type Caller, ProjectScope } from './project-scope.js';
import { baseSecretView } from './secret-views.js';

/** The SecretImport object (docs/reference/api.md#secret-imports). */
export function importView(record: SecretImportRecord, importEnv: EnvironmentRecord | undefined) {
  return {
    id: record.id,
    version: record.version,
    importPath: record.importPath,
    importEnv: importEnv ? { id: importEnv.id, name: importEnv.name, slug: importEnv.slug } : null,
    position: record.position,
    folderId: record.folderId,
    isReplication: record.isReplication,
    isReplicationSuccess: null,
    replicationStatus: null,
    lastReplicated: null,
    isReserved: false,
    createdAt: record.createdAt,
    updatedAt: record.updatedAt,
  };
}

export interface ImportLocationInput {
  environment: string;
  path: string;
}

/** The destination folder of an import route, or upstream's 404. */
async function destination(scope: ProjectScope, input: ImportLocationInput) {
  const env = await scope.envBySlug(input.environment);
  const folder = (await scope.tree(env)).find(input.path);
  if (!folder)
    throw notFound(`Folder with path '${input.path}' in environment with slug '${env.slug}' not found`);
  return { env, folder };
}

/** The source environment; an unknown slug is upstream's default 404 text. */
async function sourceEnv(scope: ProjectScope, slug: string) {
  const env = await scope.envBySlugOrNull(slug);
  if (!env) throw notFound();
  return env;
}

/** Whether following imports from `start` (depth ≤ 10) reaches `target`. */
async function importsReach(
  scope: ProjectScope,
  start: FolderRecord,
  target: FolderRecord,
): Promise<boolean> {
  const seen = new Set<string>();
  let frontier = [start];
  for (let depth = 0; frontier.length > 0 && depth <= MAX_IMPORT_DEPTH; depth++) {
    const next: FolderRecord[] = [];
    for (const imp of await scope.ctx.store.secrets.listImports(frontier.map((f) => f.id))) {
      const env = await scope.envById(imp.importEnvId);
      const folder = env && (await scope.tree(env)).find(imp.importPath);
      if (!folder) continue;
      if (folder.id === target.id) return true;
      if (!seen.has(folder.id)) {
        seen.add(folder.id);
        next.push(folder);
      }
    }
    frontier = next;
  }
  return false;
}

/** Refuses an import of `source` into `dest` that would close a cycle. */
async function assertNotCyclic(
  scope: ProjectScope,
  dest: { env: EnvironmentRecord; folder: FolderRecord },
  source: { env: EnvironmentRecord; path: string },
) {
  const sourceFolder = (await scope.tree(source.env)).find(source.path);
  if (!sourceFolder) return; // importing a folder that does not exist yet is allowed
  if (sourceFolder.id === dest.folder.id || (await importsReach(scope, sourceFolder, dest.folder))) {
    throw badRequest('Cyclic import not allowed');
  }
}

/** POST /api/v1|v2/secret-imports. */
export async function createImport(
  ctx: ServerContext,
  caller: Caller,
  input: ImportLocationInput & { import: { environment: string; path: string }; isReplication: boolean },
) {
  caller.access.assert('create', 'secret-imports');
  caller.access.assert('read', 'secrets');
  if (input.isReplication) {
    throw badRequest(
      'Failed to create secret replication due to plan restriction. Upgrade plan to create replication.',
    );
  }
  const scope = new ProjectScope(ctx, caller);
  const dest = await destination(scope, input);
  const env = await sourceEnv(scope, input.import.environment);
  await assertNotCyclic(scope, dest, { env, path: input.import.path });
  const now = new Date(ctx.now()).toISOString();
  const record = await ctx.store.secrets.insertImport({
    id: randomUUID(),
    folderId: dest.folder.id,
    importEnvId: env.id,
    importPath: input.import.path,
    isReplication: false,
    version: 1,
    createdAt: now,
    updatedAt: now,
  });
  await ctx.store.projects.touchContent(scope.project.id);
  await publishFolderChanges(scope, [{ envId: dest.env.id, folderId: dest.folder.id }]);
  await caller.audit({
    type: 'create-secret-import',
    metadata: {
      secretImportId: record.id,
      folderId: dest.folder.id,
      importFromEnvironment: env.slug,
      importFromSecretPath: record.importPath,
      importToEnvironment: dest.env.slug,
      importToSecretPath: input.path,
    },
  });
  return { message: 'Successfully created secret import', secretImport: importView(record, env) };
}

/** GET /api/v1|v2/secret-imports. */
export async function listImports(ctx: ServerContext, caller: Caller, input: ImportLocationInput) {
  caller.access.assert('read', 'secret-imports');
  const scope = new ProjectScope(ctx, caller);
  const dest = await destination(scope, input);
  const records = await ctx.store.secrets.listImports([dest.folder.id]);
  const secretImports = [];
  for (const r of records) secretImports.push(importView(r, await scope.envById(r.importEnvId)));
  return { message: 'Successfully fetched secret imports', secretImports };
}

/** Finds an import and the project it belongs to (through its folder). */
async function importWithProject(ctx: ServerContext, id: string) {
  const record = await ctx.store.secrets.getImport(id);
  const folder = record && (await ctx.store.secrets.getFolder(record.folderId));
  const env = folder && (await ctx.store.projects.getEnvironment(folder.envId));
  return record && folder && env ? { record, folder, env } : undefined;
}

/** GET /api/v1|v2/secret-imports/:id. */
export async function getImport(
  ctx: ServerContext,
  id: string,
  callerForProject: (projectId: string) => Promise<Caller>,
) {
  const found = await importWithProject(ctx, id);
  if (!found) throw notFound(`Secret import with ID '${id}' not found`);
  const caller = await callerForProject(found.env.projectId);
  caller.access.assert('read', 'secret-imports');
  const scope = new ProjectScope(ctx, caller);
  const tree = await scope.tree(found.env);
  return {
    secretImport: {
      ...importView(found.record, await scope.envById(found.record.importEnvId)),
      environment: { id: found.env.id, name: found.env.name, slug: found.env.slug },
      projectId: found.env.projectId,
      secretPath: tree.pathOf(found.folder.id),
    },
  };
}

/** PATCH /api/v1|v2/secret-imports/:id: new source and/or position. */
export async function updateImport(
  ctx: ServerContext,
  caller: Caller,
  id: string,
  input: ImportLocationInput & {
    import: { environment?: string | undefined; path?: string | undefined; position?: number | undefined };
  },
) {
  caller.access.assert('edit', 'secret-imports');
  const scope = new ProjectScope(ctx, caller);
  const dest = await destination(scope, input);
  const current = await ctx.store.secrets.getImport(id);
  if (!current || current.folderId !== dest.folder.id) throw badRequest('Secret import not found');
  const env = input.import.environment
    ? await sourceEnv(scope, input.import.environment)
    : await scope.envById(current.importEnvId);
  if (!env) throw notFound();
  const importPath = input.import.path ?? current.importPath;
  if (env.id !== current.importEnvId || importPath !== current.importPath) {
    await assertNotCyclic(scope, dest, { env, path: importPath });
  }
  const updated = await ctx.store.secrets.updateImport({
    ...current,
    importEnvId: env.id,
    importPath,
    position: input.import.position ?? current.position,
    version: current.version + 1,
    updatedAt: new Date(ctx.now()).toISOString(),
  });
  await ctx.store.projects.touchContent(scope.project.id);
  await publishFolderChanges(scope, [{ envId: dest.env.id, folderId: dest.folder.id }]);
  await caller.audit({
    type: 'update-secret-import',
    metadata: {
      secretImportId: updated.id,
      folderId: dest.folder.id,
      importFromEnvironment: env.slug,
      importFromSecretPath: updated.importPath,
      importToEnvironment: dest.env.slug,
      importToSecretPath: input.path,
      position: updated.position,
    },
  });
  return { message: 'Successfully updated secret import', secretImport: importView(updated, env) };
}

/** DELETE /api/v1|v2/secret-imports/:id. */
export async function deleteImport(
  ctx: ServerContext,
  caller: Caller,
  id: string,
  input: ImportLocationInput,
) {
  caller.access.assert('delete', 'secret-imports');
  const scope = new ProjectScope(ctx, caller);
  const dest = await destination(scope, input);
  const current = await ctx.store.secrets.getImport(id);
  if (!current || current.folderId !== dest.folder.id) {
    // Upstream's words, which name the import's id (secret-import-service.ts, deleteImport).
    throw notFound(`Secret import with folder ID '${id}' not found`);
  }
  await ctx.store.secrets.deleteImport(id);
  await ctx.store.projects.touchContent(scope.project.id);
  await publishFolderChanges(scope, [{ envId: dest.env.id, folderId: dest.folder.id }]);
  const env = await scope.envById(current.importEnvId);
  await caller.audit({
    type: 'delete-secret-import',
    metadata: {
      secretImportId: current.id,
      folderId: dest.folder.id,
      importFromEnvironment: env?.slug ?? null,
      importFromSecretPath: current.importPath,
      importToEnvironment: dest.env.slug,
      importToSecretPath: input.path,
    },
  });
  return { message: 'Successfully deleted secret import', secretImport: importView(current, env) };
}

/** GET /api/v1/secret-imports/secrets/raw (v2: /secret-imports/secrets): the imported secrets per import. */
export async function listImportedSecrets(ctx: ServerContext, caller: Caller, input: ImportLocationInput) {
  caller.access.assert('read', 'secret-imports');
  caller.access.assert('readValue', 'secrets');
  const scope = new ProjectScope(ctx, caller);
  const dest = await destination(scope, input);
  const blocks = await resolveImports(scope, [dest.folder]);
  return {
    secrets: blocks.map((block) => ({
      secretPath: block.secretPath,
      environment: block.env.slug,
      environmentInfo: { id: block.env.id, name: block.env.name, slug: block.env.slug },
      folderId: block.folderId,
      secrets: block.secrets.map(({ secret, env }) => {
        const plain = scope.open(secret);
        return baseSecretView(secret, {
          workspace: '',
          envSlug: env.slug,
          value: plain.value,
          comment: plain.comment,
          reminderNote: plain.reminderNote,
        });
      }),
    })),
  };
}
