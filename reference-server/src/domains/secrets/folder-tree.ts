/**
 * An environment's folder tree, loaded once per request, and path lookups in it. Reads only.
 */
import { closestName } from '@hanzo/kms/internal';
import type { ServerContext } from '../../context.js';
import { notFound } from '../../http/errors.js';
import type { EnvironmentRecord, ProjectRecord } from '../../store/records.js';
import type { FolderRecord } from '../../store/records.js';
import { joinPath, pathSegments } from './paths.js';

/** Upstream's recursion limit for recursive listing. */
export const MAX_FOLDER_DEPTH = 20;

/** One environment's folders, indexed for path lookups (the whole tree is loaded once per request). */
export class FolderTree {
  readonly root: FolderRecord;
  private readonly byId = new Map<string, FolderRecord>();
  private readonly children = new Map<string, FolderRecord[]>();
  private readonly paths = new Map<string, string>();

  constructor(
    readonly env: EnvironmentRecord,
    folders: FolderRecord[],
  ) {
    let root: FolderRecord | undefined;
    for (const f of folders) {
      this.byId.set(f.id, f);
      if (f.parentId === null) root = f;
      else {
        const list = this.children.get(f.parentId) ?? [];
        list.push(f);
        this.children.set(f.parentId, list);
      }
    }
    if (!root) throw new Error(`environment ${env.id} has no root folder`);
    this.root = root;
  }

  get(id: string) {
    return this.byId.get(id);
  }

  childrenOf(id: string) {
    return this.children.get(id) ?? [];
  }

  child(parentId: string, name: string) {
    return this.childrenOf(parentId).find((f) => f.name === name);
  }

  /** The normalised path of a folder (`/` for the root). */
  pathOf(id: string): string {
    const cached = this.paths.get(id);
    if (cached) return cached;
    const folder = this.byId.get(id);
    if (!folder || folder.parentId === null) return '/';
    const path = joinPath(this.pathOf(folder.parentId), folder.name);
    this.paths.set(id, path);
    return path;
  }

  /** The folder at a normalised path, if it exists. */
  find(path: string): FolderRecord | undefined {
    let folder: FolderRecord | undefined = this.root;
    for (const name of pathSegments(path)) {
      folder = this.child(folder.id, name);
      if (!folder) return undefined;
    }
    return folder;
  }

  /** The folder and its descendants, breadth first, down to `maxDepth` levels below it. */
  subtree(folder: FolderRecord, maxDepth = MAX_FOLDER_DEPTH): FolderRecord[] {
    const out: FolderRecord[] = [];
    let level = [folder];
    for (let depth = 0; level.length > 0 && depth <= maxDepth; depth++) {
      out.push(...level);
      level = level.flatMap((f) => this.childrenOf(f.id));
    }
    return out;
  }
}

/**
 * The environment with this slug, or the contract's 404; its `details.didYouMean` names the project's
 * closest slug when one is near (`production` → `prod`), which kms-node and the `kms` CLI print.
 */
export async function environmentBySlug(ctx: ServerContext, project: ProjectRecord, slug: string) {
  const env = await ctx.store.projects.getEnvironmentBySlug(project.id, slug);
  if (env) return env;
  return environmentMissing(ctx, project, slug);
}

/** The 404 of an environment slug the project does not have (reads its slugs for `didYouMean`). */
export async function environmentMissing(
  ctx: ServerContext,
  project: ProjectRecord,
  slug: string,
): Promise<never> {
  const slugs = (await ctx.store.projects.listEnvironments(project.id)).map((e) => e.slug);
  const near = closestName(slug, slugs);
  throw notFound(`Environment with slug '${slug}' in project with ID ${project.id} not found`, {
    ...(near ? { details: { didYouMean: near } } : {}),
  });
}

/** Loads the folder tree of an environment. */
export async function loadFolderTree(ctx: ServerContext, env: EnvironmentRecord) {
  return new FolderTree(env, await ctx.store.secrets.listFolders(env.id));
}

/** The list endpoint's missing-folder error (also used, renamed, by single-secret routes). */
export const secretPathNotFound = (path: string, envSlug: string, name = 'SecretPathNotFound') =>
  notFound(
    `Folder with path '${path}' in environment '${envSlug}' was not found. Please ensure the environment slug and secret path is correct.`,
    { name },
  );
