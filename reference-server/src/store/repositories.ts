import type { AuditChainKey, AuditHead } from '../audit/audit-log.js';
import type { WrappedKey } from '../crypto/key-manager.js';
import type { LegacySecretRow, ResealedFields } from './sql/migrations.js';
import type {
  AccessTokenRecord,
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
  SecretVersionRecord,
  SecretWrite,
  ServerConfigRecord,
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
   * or undefined when no use was left (two racers on the last use: exactly one wins).
   */
  consumeAccessTokenUse(id: string, now: string): Promise<AccessTokenRecord | undefined>;
  /**
   * Deletes token rows that can never authorize again: past their TTL (or period) or max TTL,
   * out of uses, or revoked more than a day ago (kept a day so token lists still show them).
   * Returns how many.
   */
  purgeDeadAccessTokens(nowMs: number): Promise<number>;
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
  /** Inserts the environment and its root folder. */
  createEnvironment(env: EnvironmentRecord, rootFolderId: string): Promise<void>;
  updateEnvironment(env: EnvironmentRecord): Promise<void>;
  deleteEnvironment(id: string): Promise<void>;

  getMembership(projectId: string, identityId: string): Promise<MembershipRecord | undefined>;
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
  /** Inserts the folders in order (parents first), all or nothing. */
  insertFolders(folders: FolderRecord[]): Promise<void>;
  updateFolder(folder: FolderRecord): Promise<void>;
  /** Deletes the folder with its sub-folders, secrets, versions and imports. */
  deleteFolder(id: string): Promise<void>;

  /** Secrets of the folders, in creation order. */
  listSecrets(folderIds: string[]): Promise<SecretRecord[]>;
  getSecret(folderId: string, key: string, type: 'shared' | 'personal'): Promise<SecretRecord | undefined>;
  getSecretVersion(secretId: string, version: number): Promise<SecretVersionRecord | undefined>;
  /** Every secret of every environment of the project (reference rewriting on rename). */
  listProjectSecrets(projectId: string): Promise<SecretRecord[]>;
  /** Applies the change set in one transaction, keeping a version row per insert and update. */
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

/** The append-only, hash-chained audit log. */
export interface AuditStore {
  /**
   * Appends an entry: reads the previous entry's hash, inserts the new one and moves the sealed
   * head record in one transaction, so the chain has no gaps or forks under concurrency.
   */
  append(
    entry: Omit<AuditRecord, 'seq' | 'prevHash' | 'hash' | 'chainVersion'>,
    key: AuditChainKey,
  ): Promise<AuditRecord>;
  query(q: AuditQuery): Promise<AuditRecord[]>;
  /** Every entry in chain order (for verification), read in pages. */
  all(): AsyncIterable<AuditRecord>;
  /** The sealed head record, if one was written. */
  head(): Promise<AuditHead | undefined>;
  /** Writes the head record for the chain as it stands when there is none (a new or upgraded store). */
  ensureHead(key: AuditChainKey): Promise<void>;
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
  readonly webhooks: WebhookStore;
  readonly changes: ChangeNoticeStore;
  /**
   * Root-key rotation: re-wraps every wrapped key (project data keys and the token signing key)
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
