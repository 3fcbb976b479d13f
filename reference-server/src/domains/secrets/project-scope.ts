/**
 * The secrets domain's Caller and ProjectScope: one project's environments, folder trees and
 * decrypted secrets, loaded once per request. Decrypted values never leave the request.
 */
import type { AuditEvent } from '../../audit/audit-log.js';
import type { AuthContext, ServerContext } from '../../context.js';
import type { ProjectAccess } from '../../auth/permissions.js';
import type { EnvironmentRecord, ProjectRecord, TagRecord } from '../../store/records.js';
import type { SecretRecord } from '../../store/records.js';
import { environmentBySlug, environmentMissing, FolderTree, loadFolderTree } from './folder-tree.js';
import { openSecret, type SecretPlainFields } from './secret-crypto.js';

/** The caller of a service call: identity, standing in the project, and its audit sink. */
export interface Caller {
  auth: Pick<AuthContext, 'identity' | 'orgId'>;
  access: ProjectAccess;
  /**
   * Who the secret versions a write makes name as their author, when it is not the identity
   * (`platform` for a scheduled secret rotation, domains/rotations/).
   */
  author?: { actorId: string; actorType: string; name: string };
  /** Records an audit event for this project (project id and name are filled in). */
  audit(event: Omit<AuditEvent, 'projectId' | 'projectName' | 'orgId'>): Promise<unknown>;
}

/**
 * Per-request view of one project: environments and folder trees loaded once,
 * decrypted secrets cached, so expansion and imports never re-read or re-decrypt. What the
 * caller's access already read (`ProjectAccess.loaded`: the request's environment, its folders, a
 * secret's rows, the tags) is used as is, not read again.
 */
export class ProjectScope {
  readonly project: ProjectRecord;
  private envList?: Promise<EnvironmentRecord[]>;
  private tagList?: Promise<TagRecord[]>;
  private readonly trees = new Map<string, Promise<FolderTree>>();
  private readonly plains = new Map<string, SecretPlainFields>();

  constructor(
    readonly ctx: ServerContext,
    readonly caller: Caller,
  ) {
    this.project = caller.access.project;
  }

  /** The project's data key (unwrapped when the caller's access was checked). */
  get dataKey() {
    return this.caller.access.dataKey;
  }

  environments() {
    this.envList ??= this.ctx.store.projects.listEnvironments(this.project.id);
    return this.envList;
  }

  async envById(id: string) {
    return (await this.environments()).find((e) => e.id === id);
  }

  async envBySlugOrNull(slug: string) {
    return (await this.environments()).find((e) => e.slug === slug);
  }

  /** The environment or 404. */
  async envBySlug(slug: string) {
    const loaded = this.caller.access.loaded;
    if (loaded?.environmentSlug !== slug) return environmentBySlug(this.ctx, this.project, slug);
    return loaded.environment?.record ?? environmentMissing(this.ctx, this.project, slug);
  }

  tree(env: EnvironmentRecord) {
    let tree = this.trees.get(env.id);
    if (!tree) {
      const loaded = this.caller.access.loaded?.environment;
      tree =
        loaded?.record.id === env.id
          ? Promise.resolve(new FolderTree(env, loaded.folders))
          : loadFolderTree(this.ctx, env);
      this.trees.set(env.id, tree);
    }
    return tree;
  }

  /** A folder's secret by key and type: from the rows read with the access when they cover it. */
  async secret(
    folder: { id: string; envId: string },
    key: string,
    type: 'shared' | 'personal',
  ): Promise<SecretRecord | undefined> {
    const loaded = this.caller.access.loaded;
    // The loaded rows are every shared secret with this key in every folder of that environment.
    if (type === 'shared' && loaded?.secret?.key === key && loaded.environment?.record.id === folder.envId)
      return loaded.secret.rows.find((s) => s.folderId === folder.id);
    return this.ctx.store.secrets.getSecret(folder.id, key, type);
  }

  /** The project's tags (read with the access when a secret was). */
  tags() {
    const loaded = this.caller.access.loaded?.secret;
    this.tagList ??= loaded ? Promise.resolve(loaded.tags) : this.ctx.store.secrets.listTags(this.project.id);
    return this.tagList;
  }

  /** Decrypts a secret's fields (cached per row version). */
  open(secret: SecretRecord): SecretPlainFields {
    const id = `${secret.id}:${secret.version}`;
    let plain = this.plains.get(id);
    if (!plain) {
      plain = this.openUncached(secret);
      this.plains.set(id, plain);
    }
    return plain;
  }

  /**
   * Decrypts without the cache: for rows recorded by a snapshot, where a secret deleted and brought
   * back holds the same id and version number with other content.
   */
  openUncached(secret: SecretRecord): SecretPlainFields {
    return openSecret(
      this.dataKey,
      {
        projectId: this.project.id,
        envId: secret.envId,
        folderId: secret.folderId,
        key: secret.key,
        version: secret.version,
      },
      secret,
    );
  }
}
