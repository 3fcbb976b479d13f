/**
 * Resolves secret imports (imports of imports, to a depth limit) into the secrets they bring.
 * Reads only; values stay in memory.
 */
import type { EnvironmentRecord } from '../../store/records.js';
import type { FolderRecord, SecretRecord } from '../../store/records.js';
import type { ProjectScope } from './project-scope.js';

/** Upstream's nesting limit for imports of imports. */
export const MAX_IMPORT_DEPTH = 10;

/** A secret found through an import, with where it really lives. */
export interface ImportedSecret {
  secret: SecretRecord;
  env: EnvironmentRecord;
  path: string;
}

/** One import of a listed folder with every secret it brings (nested imports appended). */
export interface ImportBlock {
  secretPath: string;
  env: EnvironmentRecord;
  folderId: string;
  secrets: ImportedSecret[];
}

/**
 * The imports of the folders in import order, each with its shared secrets and those of the
 * source folder's own imports (depth ≤ {@link MAX_IMPORT_DEPTH}, each folder visited once per
 * block). Replication imports and sources that no longer exist are skipped.
 */
export async function resolveImports(scope: ProjectScope, folders: FolderRecord[]): Promise<ImportBlock[]> {
  const store = scope.ctx.store.secrets;
  const imports = (await store.listImports(folders.map((f) => f.id))).filter((i) => !i.isReplication);
  const blocks: ImportBlock[] = [];

  const locate = async (envId: string, path: string) => {
    const env = await scope.envById(envId);
    if (!env) return undefined;
    const tree = await scope.tree(env);
    const folder = tree.find(path);
    return folder && { env, folder, path: tree.pathOf(folder.id) };
  };

  const collect = async (
    source: { env: EnvironmentRecord; folder: FolderRecord; path: string },
    depth: number,
    visited: Set<string>,
    into: ImportedSecret[],
  ) => {
    if (depth > MAX_IMPORT_DEPTH || visited.has(source.folder.id)) return;
    visited.add(source.folder.id);
    for (const secret of await store.listSecrets([source.folder.id])) {
      if (secret.type === 'shared') into.push({ secret, env: source.env, path: source.path });
    }
    for (const nested of await store.listImports([source.folder.id])) {
      if (nested.isReplication) continue;
      const next = await locate(nested.importEnvId, nested.importPath);
      if (next) await collect(next, depth + 1, visited, into);
    }
  };

  for (const entry of imports) {
    const source = await locate(entry.importEnvId, entry.importPath);
    if (!source) continue;
    const secrets: ImportedSecret[] = [];
    await collect(source, 1, new Set([entry.folderId]), secrets);
    blocks.push({ secretPath: entry.importPath, env: source.env, folderId: source.folder.id, secrets });
  }
  return blocks;
}
