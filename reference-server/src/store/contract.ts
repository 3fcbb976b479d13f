/**
 * The store contract: the repository interfaces services call (access, projects, secrets, audit, KMS
 * keys, ...) and the store's own errors. Interfaces only; the SQL implementations are in
 * store/repositories/, and nothing here knows HTTP or a domain's rules.
 */
import type { WrappedKey } from '../crypto/key-manager.js';
import type { LegacySecretRow, ResealedFields } from './sql/migrations.js';
import type {
  AccessTokenRecord,
  AppConnectionRecord,
  AuditChainKey,
  AuditHead,
  AuditQuery,
  AuditRecord,
  AuthMethodName,
  AuthMethodRecord,
  ClientSecretRecord,
  EnvironmentRecord,
  FolderRecord,
  IdentityRecord,
  KmsKeyListQuery,
  KmsKeyRecord,
  KmsKeyVersionRecord,
  LockoutRecord,
  MembershipRecord,
  MembershipRoleRecord,
  OrganizationRecord,
  ProjectRecord,
  SecretImportRecord,
  SecretRecord,
  SecretRotationRecord,
  SecretVersionRecord,
  SecretWrite,
  ServerConfigRecord,
  SnapshotContentRecord,
  SnapshotRecord,
  TagRecord,
  UserRecord,
  WebhookRecord,
  WebhookStatus,
} from './records.js';

/**
 * The store's contract: what services may ask of storage, whatever the engine. Implemented once,
 * in SQL both engines run (store/repositories/), over SQLite or PostgreSQL (store/sql/).
 */

/** A value the database cannot hold (PostgreSQL text refuses NUL characters); the API answers 400. */
export class StoreInputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'StoreInputError';
  }
}

/** The database cannot be reached (down, restarting, pool exhausted); the API answers 503 so clients retry. */
export class StoreUnavailableError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'StoreUnavailableError';
  }
}

/**
 * The token use counted with a request's audit entry (an unlimited token's, see
 * auth/access-tokens.ts) found the token revoked or deleted since the request looked it up. The
 * entry was written (it records the attempt); the request is refused with 401.
 */
export class TokenUseRefusedError extends Error {
  constructor() {
    super('the access token was revoked or deleted before its use was counted');
    this.name = 'TokenUseRefusedError';
  }
}

/** A write lost a race or hit a uniqueness rule; services turn it into a 4xx. */
export class StoreConflictError extends Error {
  constructor(
    message: string,
    readonly kind: 'unique' | 'stale',
  ) {
    super(message);
    this.name = 'StoreConflictError';
  }
}

/** Instance config, organizations, users and machine identities with their credentials. */
export interface AccessStore {
  getConfig(): Promise<ServerConfigRecord | undefined>;
  /**
   * Stores the instance config if there is none yet and returns the one stored: replicas starting
   * together on an empty database all end up with the first one's signing secret.
   */
  initConfig(config: ServerConfigRecord): Promise<ServerConfigRecord>;
  /** Writes the whole bootstrap result at once, or nothing if the instance is already initialized. */
  bootstrap(input: {
    org: OrganizationRecord;
    user: UserRecord;
    identity: IdentityRecord;
    tokenAuth: AuthMethodRecord;
    token: AccessTokenRecord;
  }): Promise<boolean>;

  getOrganization(id: string): Promise<OrganizationRecord | undefined>;
  getOrganizationBySlug(slug: string): Promise<OrganizationRecord | undefined>;

  insertIdentity(identity: IdentityRecord): Promise<void>;
  getIdentity(id: string): Promise<IdentityRecord | undefined>;
  listIdentities(orgId: string): Promise<IdentityRecord[]>;
  updateIdentity(identity: IdentityRecord): Promise<void>;
  deleteIdentity(id: string): Promise<void>;

  insertAuthMethod(method: AuthMethodRecord): Promise<void>;
  getAuthMethod(identityId: string, method: AuthMethodName): Promise<AuthMethodRecord | undefined>;
  getAuthMethodByClientId(clientId: string): Promise<AuthMethodRecord | undefined>;
  listAuthMethods(identityId: string): Promise<AuthMethodRecord[]>;
  updateAuthMethod(method: AuthMethodRecord): Promise<void>;
  /** Removes the method and every access token it issued. */
  deleteAuthMethod(id: string, identityId: string, method: AuthMethodName): Promise<void>;

  insertClientSecret(secret: ClientSecretRecord): Promise<void>;
  getClientSecret(id: string): Promise<ClientSecretRecord | undefined>;
  listClientSecrets(authMethodId: string): Promise<ClientSecretRecord[]>;
  findClientSecretsByPrefix(authMethodId: string, prefix: string): Promise<ClientSecretRecord[]>;
  revokeClientSecret(id: string, now: string): Promise<void>;
  /** Revokes every access token issued by logging in with this client secret; returns how many. */
  revokeAccessTokensOfClientSecret(clientSecretId: string, now: string): Promise<number>;
  /** Counts one use of a client secret; false when its limit was already reached. */
  consumeClientSecretUse(id: string, now: string): Promise<boolean>;

  getLockout(authMethodId: string): Promise<LockoutRecord | undefined>;
  /**
   * Read-modify-write of a lockout in one transaction, serialized across replicas, so concurrent
   * failed logins each count. `next` gets the stored lockout and returns the one to store.
   */
  updateLockout(
    authMethodId: string,
    next: (current: LockoutRecord | undefined) => LockoutRecord,
  ): Promise<LockoutRecord>;
  clearLockouts(authMethodId: string): Promise<number>;

  insertAccessToken(token: AccessTokenRecord): Promise<void>;
  getAccessToken(id: string): Promise<AccessTokenRecord | undefined>;

  // --- The per-request token lookup (issue 26: few round trips on PostgreSQL) ---
  /**
   * A token with what an authenticated request checks next, in one statement: the identity it
   * belongs to, and the configuration of the identity's auth method as it is now (its trusted IPs
   * reach tokens already issued); undefined parts when the identity or the method no longer exist.
   */
  getAccessTokenForRequest(id: string): Promise<AccessTokenForRequest | undefined>;
  // --- end of the per-request token lookup ---
  listAccessTokens(identityId: string, authMethod: AuthMethodName): Promise<AccessTokenRecord[]>;
  /** Renames a token (its other fields are left alone). */
  renameAccessToken(id: string, name: string | null, now: string): Promise<void>;
  /** Moves a live token's renewal time; false when it was revoked meanwhile (nothing changes). */
  renewAccessToken(id: string, renewedAtMs: number, now: string): Promise<boolean>;
  /** Revokes a token; false when it was already revoked or is gone. */
  revokeAccessToken(id: string, now: string): Promise<boolean>;
  deleteAccessToken(id: string): Promise<void>;
  /**
   * Atomically counts one use of a live token: increments `numUses` only while the token
   * is not revoked and (limit 0 or uses < limit). Returns the token after the increment,
   * or undefined when no use was left (two racers on the last use: exactly one wins). Uses of
   * concurrent requests are committed together (store/group-commit.ts); resolves once committed.
   */
  consumeAccessTokenUse(id: string, now: string): Promise<AccessTokenRecord | undefined>;
  /**
   * Deletes token rows that can never authorize again: past their TTL (or period) or max TTL,
   * out of uses, or revoked more than a day ago (kept a day so token lists still show them).
   * Returns how many.
   */
  purgeDeadAccessTokens(nowMs: number): Promise<number>;
}

/** What a project-scoped request asks {@link ProjectStore.getProjectView} to read with the project. */
export interface ProjectViewRequest {
  /** The environment (by slug) whose folders the request works in. */
  environment?: string | undefined;
  /** A shared secret's key: its row in each folder of that environment, and the project's tags. */
  secretKey?: string | undefined;
}

/** A project as one request sees it when it starts: see {@link ProjectStore.getProjectView}. */
export interface ProjectView {
  project: ProjectRecord;
  /** The identity's membership with its roles; undefined when it is not a member. */
  membership: MembershipRecord | undefined;
  /**
   * The requested environment and all its folders (in `SecretStore.listFolders` order); undefined
   * when none was requested or the project has no environment with that slug.
   */
  environment: { record: EnvironmentRecord; folders: FolderRecord[] } | undefined;
  /**
   * When a secret key was requested: the shared secret with that key in each folder of the
   * environment that holds one (as `SecretStore.getSecret` returns it), and the project's tags
   * (as `SecretStore.listTags` returns them).
   */
  secret: { key: string; rows: SecretRecord[]; tags: TagRecord[] } | undefined;
}

/** Projects, their environments (each with a root folder) and identity memberships. */
export interface ProjectStore {
  /** Inserts the project, its environments with their root folders, and the creator's admin membership. */
  createProject(input: {
    project: ProjectRecord;
    environments: EnvironmentRecord[];
    rootFolderIds: string[];
    creatorMembership: MembershipRecord;
  }): Promise<void>;
  getProject(id: string): Promise<ProjectRecord | undefined>;
  getProjectBySlug(orgId: string, slug: string): Promise<ProjectRecord | undefined>;
  listProjectsForIdentity(identityId: string): Promise<ProjectRecord[]>;
  listProjects(): Promise<ProjectRecord[]>;
  updateProject(project: ProjectRecord): Promise<void>;
  deleteProject(id: string): Promise<void>;
  /** Bumps the project's content version (ETags and caches depend on it). */
  touchContent(projectId: string): Promise<void>;

  listEnvironments(projectId: string): Promise<EnvironmentRecord[]>;
  getEnvironment(id: string): Promise<EnvironmentRecord | undefined>;
  getEnvironmentBySlug(projectId: string, slug: string): Promise<EnvironmentRecord | undefined>;
  /**
   * Inserts the environment and its root folder. Positions stay a sequence, as upstream's: without
   * a position it goes last; at a taken position the environments from there on move down one.
   */
  createEnvironment(
    env: Omit<EnvironmentRecord, 'position'> & { position?: number | undefined },
    rootFolderId: string,
  ): Promise<EnvironmentRecord>;
  /** Updates name, slug and position; moving to a taken position shifts the environments in between. */
  updateEnvironment(env: EnvironmentRecord): Promise<void>;
  /** Deletes the environment and closes the gap its position leaves. */
  deleteEnvironment(id: string): Promise<void>;

  getMembership(projectId: string, identityId: string): Promise<MembershipRecord | undefined>;
  /**
   * What a project-scoped request reads before its work, in one statement (one round trip on
   * PostgreSQL): the project named by id, or by slug in an organization; the identity's membership
   * in it with its roles; and, when asked, one environment with its folders and one shared
   * secret's rows with the project's tags. Nothing is cached: each call reads the rows as they are
   * now, on any replica. Undefined when there is no such project.
   */
  getProjectView(
    ref: { id: string } | { orgId: string; slug: string },
    identityId: string,
    request?: ProjectViewRequest,
  ): Promise<ProjectView | undefined>;
  /**
   * The token lookup of {@link AccessStore.getAccessTokenForRequest} and {@link getProjectView} in
   * one statement, for a request whose route reads a project first: the token row with its identity
   * and auth method, and the view of the project (by id, or by slug in the identity's
   * organization) for that identity. Undefined when there is no such token; `view` undefined when
   * there is no such project.
   */
  getProjectViewForToken(
    tokenId: string,
    ref: { id: string } | { slug: string },
    request?: ProjectViewRequest,
  ): Promise<{ token: AccessTokenForRequest; view: ProjectView | undefined } | undefined>;
  getMembershipById(id: string): Promise<MembershipRecord | undefined>;
  listMemberships(projectId: string): Promise<MembershipRecord[]>;
  listMembershipsOfIdentity(identityId: string): Promise<MembershipRecord[]>;
  insertMembership(membership: MembershipRecord): Promise<void>;
  replaceMembershipRoles(membershipId: string, roles: MembershipRoleRecord[], now: string): Promise<void>;
  deleteMembership(id: string): Promise<void>;
}

/** Folders, secrets (with versions), tags and secret imports. */
export interface SecretStore {
  getFolder(id: string): Promise<FolderRecord | undefined>;
  /** Every folder of an environment (the tree is small; paths are resolved in memory). */
  listFolders(envId: string): Promise<FolderRecord[]>;
  /** Inserts the folders in order (parents first), all or nothing; snapshots them and their parents. */
  insertFolders(folders: FolderRecord[]): Promise<void>;
  /** Renames; snapshots the parent. */
  updateFolder(folder: FolderRecord): Promise<void>;
  /** Deletes the folder with its sub-folders, secrets, versions and imports; snapshots the parent. */
  deleteFolder(id: string, at?: string): Promise<void>;

  /** Secrets of the folders, in creation order. */
  listSecrets(folderIds: string[]): Promise<SecretRecord[]>;
  getSecret(folderId: string, key: string, type: 'shared' | 'personal'): Promise<SecretRecord | undefined>;
  getSecretVersion(secretId: string, version: number): Promise<SecretVersionRecord | undefined>;
  /** A secret by id, with the project it belongs to. */
  getSecretById(id: string): Promise<(SecretRecord & { projectId: string }) | undefined>;
  /** The kept versions of a secret, newest first. */
  listSecretVersions(
    secretId: string,
    page: { offset: number; limit: number },
  ): Promise<SecretVersionRecord[]>;
  /** Every secret of every environment of the project (reference rewriting on rename). */
  listProjectSecrets(projectId: string): Promise<SecretRecord[]>;
  /**
   * Applies the change set in one transaction, keeping a version row per insert and update, and
   * snapshots every folder it changed (and the parents of folders it created or deleted).
   */
  writeSecrets(write: SecretWrite): Promise<void>;

  listTags(projectId: string): Promise<TagRecord[]>;
  getTag(projectId: string, id: string): Promise<TagRecord | undefined>;
  getTagBySlug(projectId: string, slug: string): Promise<TagRecord | undefined>;
  insertTag(tag: TagRecord): Promise<void>;
  updateTag(tag: TagRecord): Promise<void>;
  deleteTag(id: string): Promise<void>;

  /** Imports of the folders, by folder then position. */
  listImports(folderIds: string[]): Promise<SecretImportRecord[]>;
  getImport(id: string): Promise<SecretImportRecord | undefined>;
  /** Inserts at the last position + 1 of its folder; returns the stored record. */
  insertImport(record: Omit<SecretImportRecord, 'position'>): Promise<SecretImportRecord>;
  /** Updates source and moves the import to `record.position` (1-based), shifting the others. */
  updateImport(record: SecretImportRecord): Promise<SecretImportRecord>;
  /** Deletes and closes the gap in positions. */
  deleteImport(id: string): Promise<void>;
}

/** Folder snapshots (point-in-time recovery); they are taken by the folder and secret writes. */
export interface SnapshotStore {
  /** The snapshots of a folder, newest first. */
  listSnapshots(folderId: string, page: { offset: number; limit: number }): Promise<SnapshotRecord[]>;
  countSnapshots(folderId: string): Promise<number>;
  /** A snapshot with the secrets and sub-folders it recorded. */
  getSnapshot(id: string): Promise<SnapshotContentRecord | undefined>;
}

/** Project KMS keys. */
export interface KmsKeyStore {
  /** Inserts the key and its first version together; a taken name is a {@link StoreConflictError}. */
  insertKey(key: KmsKeyRecord, first: KmsKeyVersionRecord): Promise<void>;
  getKey(id: string): Promise<KmsKeyRecord | undefined>;
  getKeyByName(projectId: string, name: string): Promise<KmsKeyRecord | undefined>;
  listKeys(q: KmsKeyListQuery): Promise<{ keys: KmsKeyRecord[]; totalCount: number }>;
  /** Updates name, description and the disabled flag; a taken name is a {@link StoreConflictError}. */
  updateKey(key: KmsKeyRecord): Promise<void>;
  deleteKey(id: string): Promise<void>;
  getVersion(keyId: string, version: number): Promise<KmsKeyVersionRecord | undefined>;
  /** Every version of a key, newest first. */
  listVersions(keyId: string): Promise<KmsKeyVersionRecord[]>;
  /**
   * Adds `next` (the key's version + 1) and makes it current, if the key is still at the version
   * before it (else a stale {@link StoreConflictError}); `key.updatedAt` is the new update time.
   */
  rotateKey(key: KmsKeyRecord, next: KmsKeyVersionRecord): Promise<void>;
}

/** Project webhooks (domains/webhooks/). */
export interface WebhookStore {
  insertWebhook(webhook: WebhookRecord): Promise<void>;
  getWebhook(id: string): Promise<WebhookRecord | undefined>;
  /** A project's webhooks, optionally of one environment, oldest first. */
  listWebhooks(projectId: string, envId?: string): Promise<WebhookRecord[]>;
  /** Updates the disabled flag and the events filter. */
  updateWebhook(webhook: WebhookRecord): Promise<void>;
  deleteWebhook(id: string): Promise<void>;
  /** Records how the last delivery went; a webhook deleted meanwhile is left alone. */
  recordRun(id: string, run: { status: WebhookStatus; error: string | null; at: string }): Promise<void>;
}

/** A stored change notice: its id orders notices across replicas (domains/changes/). */
export interface StoredChangeNotice {
  id: number;
  /** The notice as published (JSON; places and names, never values). */
  notice: string;
}

/** Change notices, kept for a while so a stream that reconnects can resume (domains/changes/). */
export interface ChangeNoticeStore {
  /** Appends a notice; returns its id (greater than every id before it). */
  append(projectId: string, envId: string, notice: string, createdAt: string): Promise<number>;
  /** Up to `limit` notices of a project after `afterId`, oldest first. */
  since(projectId: string, afterId: number, limit: number): Promise<StoredChangeNotice[]>;
  /** The smallest id still kept (undefined when none is). */
  oldestId(): Promise<number | undefined>;
  /** Deletes notices created before `before`, always keeping the newest; returns how many. */
  purge(before: string): Promise<number>;
}

/** What {@link AccessStore.getAccessTokenForRequest} reads: the token, its identity, its auth method's config. */
export interface AccessTokenForRequest {
  token: AccessTokenRecord;
  identity: IdentityRecord | undefined;
  methodConfig: AuthMethodRecord['config'] | undefined;
}

/** A use of an unlimited access token that commits with the request's audit entry. */
export interface AttachedTokenUse {
  tokenId: string;
  /** ISO time of the use (`last_used_at`). */
  now: string;
}

/** The append-only, hash-chained audit log. */
export interface AuditStore {
  /**
   * Appends an entry: reads the previous entry's hash, inserts the new one and moves the sealed
   * head record in one transaction, so the chain has no gaps or forks under concurrency. Appends
   * of concurrent requests share that transaction (store/group-commit.ts); the promise resolves
   * once it has committed.
   */
  append(
    entry: Omit<AuditRecord, 'seq' | 'prevHash' | 'hash' | 'chainVersion'>,
    key: AuditChainKey,
    options?: {
      /** Run the start-up tail check in the same transaction first (a process's first append). */
      checkTail?: boolean;
      /**
       * One use of an unlimited access token (`numUsesLimit` 0), counted in the same commit as the
       * entry. When the token was revoked or deleted meanwhile the entry is still written and the
       * promise rejects with {@link TokenUseRefusedError}.
       */
      tokenUse?: AttachedTokenUse;
    },
  ): Promise<AuditRecord>;
  query(q: AuditQuery): Promise<AuditRecord[]>;
  /** Every entry in chain order (for verification), read in pages. */
  all(): AsyncIterable<AuditRecord>;
  /** The sealed head record, if one was written. */
  head(): Promise<AuditHead | undefined>;
  /**
   * The start-up check: throws `AuditChainError` when the stored tail does not match the sealed
   * head (or entries exist without one); writes the empty chain's head for a new store.
   */
  checkTail(key: AuditChainKey): Promise<void>;
  /**
   * `kms-server audit seal`: writes the head for a chain that has none (a store from before the
   * head record), after the operator has verified it. Returns the head written, or undefined when
   * one already exists.
   */
  sealHeadless(key: AuditChainKey): Promise<Omit<AuditHead, 'mac'> | undefined>;
  /** Deletes entries whose expiry has passed, always keeping the newest; returns how many. */
  purgeExpired(now: string): Promise<number>;
}

/**
 * The one storage interface services depend on. Every method is async and every
 * method that writes several rows is atomic on its own, so another backend
 * (PostgreSQL for replicas sharing state) can implement it without touching services.
 */
export interface Store {
  /** Which engine holds the data (for readiness and the operator's logs). */
  readonly engine: 'sqlite' | 'postgres';
  readonly access: AccessStore;
  readonly projects: ProjectStore;
  readonly secrets: SecretStore;
  readonly audit: AuditStore;
  readonly kmsKeys: KmsKeyStore;
  readonly appConnections: AppConnectionStore;
  readonly secretRotations: SecretRotationStore;
  readonly snapshots: SnapshotStore;
  readonly webhooks: WebhookStore;
  readonly changes: ChangeNoticeStore;
  /**
   * Root-key rotation: re-wraps every wrapped key (project data keys, app connection credential keys and the token signing key)
   * and stores them in one transaction. `rewrap` returns undefined for a key that needs nothing
   * (already under the target key). Secret ciphertexts are untouched. Returns how many changed.
   */
  rewrapKeys(rewrap: (key: WrappedKey) => Promise<WrappedKey | undefined>): Promise<number>;
  /**
   * Migration 3: converts secret rows still holding three ciphertexts to the one sealed
   * ciphertext (`sealedPrefix`), in one transaction. Returns how many rows were converted.
   */
  resealLegacySecrets(
    sealedPrefix: string,
    reseal: (row: LegacySecretRow) => ResealedFields | undefined,
  ): Promise<number>;
  /** Whether {@link Store.resealLegacySecrets} has anything to do. */
  hasLegacySecrets(sealedPrefix: string): Promise<boolean>;
  /** A cheap round trip to the database (readiness). */
  ping(): Promise<void>;
  close(): Promise<void>;
}

/** App connections of an organization (domains/app-connections/). */
export interface AppConnectionStore {
  /** Throws StoreConflictError('unique') when the organization has a connection of that name. */
  insert(connection: AppConnectionRecord): Promise<void>;
  get(id: string): Promise<AppConnectionRecord | undefined>;
  getByName(orgId: string, app: string, name: string): Promise<AppConnectionRecord | undefined>;
  list(orgId: string, app: string): Promise<AppConnectionRecord[]>;
  /** Replaces the row if its version is still `expectedVersion`; StoreConflictError otherwise. */
  update(connection: AppConnectionRecord, expectedVersion: number): Promise<void>;
  /** Throws StoreConflictError('unique') while a rotation uses the connection. */
  delete(id: string): Promise<void>;
}

/** The fields a finished (or failed) rotation attempt writes. */
export type RotationOutcome = Pick<
  SecretRotationRecord,
  | 'rotationStatus'
  | 'lastRotationAttemptedAt'
  | 'lastRotationMessage'
  | 'isLastRotationManual'
  | 'nextRotationAt'
> &
  Partial<Pick<SecretRotationRecord, 'generatedCredentialsCiphertext' | 'activeIndex' | 'lastRotatedAt'>> & {
    /** Keep the pending credentials (the mapped secrets may hold them): the next attempt resumes them. */
    keepPending?: boolean;
  };

/** Secret rotations and the leases the schedulers of every replica take on them (domains/rotations/). */
export interface SecretRotationStore {
  /** Throws StoreConflictError('unique') when the folder has a rotation of that name. */
  insert(rotation: SecretRotationRecord): Promise<void>;
  get(id: string): Promise<SecretRotationRecord | undefined>;
  getByName(folderId: string, name: string): Promise<SecretRotationRecord | undefined>;
  list(projectId: string, type?: string): Promise<SecretRotationRecord[]>;
  /** Every rotation of the project that maps a secret of the folder. */
  listByFolder(folderId: string): Promise<SecretRotationRecord[]>;
  /** Writes the settable fields (name, description, auto rotation, interval, time, next due time). */
  updateSettings(rotation: SecretRotationRecord): Promise<void>;
  delete(id: string): Promise<void>;
  /** Ids of rotations due at `now` (auto rotations past their time, unfinished ones) not leased by a live holder. */
  listDue(now: string): Promise<string[]>;
  /**
   * Takes the rotation's lease for `holder` until `expiresAt`, under a database lock on the
   * rotation (one taker per due time on every replica). `due` true: only if still due at `now`.
   * Returns the rotation as leased, or undefined when someone else holds it (or it is not due).
   */
  claim(
    id: string,
    holder: string,
    now: string,
    expiresAt: string,
    due: boolean,
  ): Promise<SecretRotationRecord | undefined>;
  /** Stores the credentials the holder is about to install; false when the lease was lost. */
  setPending(id: string, holder: string, ciphertext: string): Promise<boolean>;
  /**
   * Records an attempt's outcome, clears the pending credentials (unless kept) and releases the lease, only
   * while `holder` still holds it (false: the lease was lost, nothing written).
   */
  finish(id: string, holder: string, outcome: RotationOutcome): Promise<boolean>;
}
