/**
 * The records the store reads and writes (identities, tokens, projects, secrets, audit entries, ...):
 * plain data shared by the store contract, its implementations and the services. Types only.
 */
import type { WrappedKey } from '../crypto/key-manager.js';

/** Records the store reads and writes: camelCase, timestamps as ISO strings. */

export interface ServerConfigRecord {
  initialized: boolean;
  adminIdentityIds: string[];
  /** HS256 signing key for access tokens, wrapped by the root key. */
  jwtSecret: WrappedKey;
}

export interface OrganizationRecord {
  id: string;
  name: string;
  slug: string;
  createdAt: string;
  updatedAt: string;
}

export interface UserRecord {
  id: string;
  email: string;
  passwordHash: string;
  superAdmin: boolean;
  orgId: string;
  createdAt: string;
  updatedAt: string;
}

export type OrgRole = string;

export interface IdentityRecord {
  id: string;
  name: string;
  orgId: string;
  orgRole: OrgRole;
  hasDeleteProtection: boolean;
  metadata: { id: string; key: string; value: string }[];
  lastLoginAuthMethod: string | null;
  lastLoginTime: string | null;
  createdAt: string;
  updatedAt: string;
}

/** An IP or CIDR in the expanded form the API returns. */
export interface TrustedIp {
  ipAddress: string;
  type: 'ipv4' | 'ipv6';
  prefix?: number;
}

/** Settings every token-issuing auth method shares. */
export interface AccessTokenSettings {
  accessTokenTTL: number;
  accessTokenMaxTTL: number;
  accessTokenNumUsesLimit: number;
  accessTokenPeriod: number;
  accessTokenTrustedIps: TrustedIp[];
}

export interface UniversalAuthConfig extends AccessTokenSettings {
  clientSecretTrustedIps: TrustedIp[];
  lockoutEnabled: boolean;
  lockoutThreshold: number;
  lockoutDurationSeconds: number;
  lockoutCounterResetSeconds: number;
}

export type TokenAuthConfig = AccessTokenSettings;

export type AuthMethodName = 'universal-auth' | 'token-auth' | 'oidc-auth' | 'jwt-auth';

export interface AuthMethodRecord<C = UniversalAuthConfig | TokenAuthConfig> {
  id: string;
  identityId: string;
  method: AuthMethodName;
  clientId: string | null;
  config: C;
  createdAt: string;
  updatedAt: string;
}

export interface ClientSecretRecord {
  id: string;
  authMethodId: string;
  description: string;
  prefix: string;
  secretHash: string;
  ttl: number;
  numUses: number;
  numUsesLimit: number;
  isRevoked: boolean;
  createdAt: string;
  updatedAt: string;
}

export interface LockoutRecord {
  authMethodId: string;
  failures: number;
  windowStartedAt: number;
  lockedUntil: number | null;
}

export interface AccessTokenRecord {
  id: string;
  identityId: string;
  authMethod: AuthMethodName;
  name: string | null;
  clientSecretId: string | null;
  ttl: number;
  maxTtl: number;
  numUses: number;
  numUsesLimit: number;
  period: number;
  trustedIps: TrustedIp[];
  isRevoked: boolean;
  lastUsedAt: string | null;
  lastRenewedAt: string | null;
  /** Login time in ms: the anchor of the max TTL. */
  createdAtMs: number;
  /** Last login or renewal in ms: the anchor of the TTL. */
  renewedAtMs: number;
  createdAt: string;
  updatedAt: string;
}

export interface ProjectRecord {
  id: string;
  orgId: string;
  name: string;
  slug: string;
  description: string | null;
  type: string;
  autoCapitalization: boolean;
  hasDeleteProtection: boolean;
  dataKey: WrappedKey;
  /** Bumped by every write to the project's secrets, folders or imports (ETags, caches). */
  contentVersion: number;
  /**
   * How many versions of each secret keep their row (upstream's `pitVersionLimit`, 1–100); older
   * ones are deleted by the write that goes past the limit.
   */
  pitVersionLimit: number;
  createdAt: string;
  updatedAt: string;
}

export interface EnvironmentRecord {
  id: string;
  projectId: string;
  name: string;
  slug: string;
  position: number;
  createdAt: string;
  updatedAt: string;
}

export type ProjectRole = 'admin' | 'member' | 'viewer' | 'no-access';

export interface MembershipRoleRecord {
  id: string;
  role: string;
  isTemporary: boolean;
  temporaryMode: string | null;
  temporaryRange: string | null;
  temporaryAccessStartTime: string | null;
  temporaryAccessEndTime: string | null;
  createdAt: string;
  updatedAt: string;
}

export interface MembershipRecord {
  id: string;
  projectId: string;
  identityId: string;
  roles: MembershipRoleRecord[];
  createdAt: string;
  updatedAt: string;
}

export interface AuditRecord {
  seq: number;
  id: string;
  orgId: string | null;
  projectId: string | null;
  projectName: string | null;
  eventType: string;
  eventMetadata: Record<string, unknown>;
  actorType: string;
  actorMetadata: Record<string, unknown>;
  ipAddress: string | null;
  userAgent: string | null;
  userAgentType: string | null;
  createdAt: string;
  expiresAt: string;
  prevHash: string;
  hash: string;
  /** 1: unkeyed SHA-256 (before the keyed chain); 2: HMAC under the audit chain key. */
  chainVersion: 1 | 2;
}

/** The head record: where the chain ends and how many entries were ever appended, sealed by MAC. */
export interface AuditHead {
  lastSeq: number;
  lastHash: string;
  total: number;
  mac: string;
}

/** What a keyed chain is computed with; see docs/reference/audit-log.md. */
export interface AuditChainKey {
  /** The entry hash of version 2: HMAC-SHA256 over every stored column and the previous hash. */
  entryHash(entry: Omit<AuditRecord, 'seq' | 'prevHash' | 'hash' | 'chainVersion'>, prevHash: string): string;
  /** The MAC sealing the head record. */
  headMac(head: Omit<AuditHead, 'mac'>): string;
  /** The MAC of a checkpoint (an entry's sequence number and hash) written to the server's log. */
  checkpointMac(seq: number, hash: string): string;
}

/** A folder; the root folder of an environment has `parentId: null` and name `root`. */
export interface FolderRecord {
  id: string;
  envId: string;
  parentId: string | null;
  name: string;
  description: string | null;
  version: number;
  createdAt: string;
  updatedAt: string;
}

/** Who last wrote a secret, as the API reports it. */
export interface SecretActorRecord {
  actorId: string;
  actorType: string;
  name: string;
}

/**
 * What a secret and each of its kept versions hold. Value, comment and metadata are ciphertext only;
 * each is bound to (project, environment, folder, key, version) by its associated data.
 */
export interface SecretContentRecord {
  key: string;
  type: 'shared' | 'personal';
  version: number;
  valueCiphertext: string;
  commentCiphertext: string;
  metadataCiphertext: string;
  skipMultilineEncoding: boolean;
}

/** A secret's current state. */
export interface SecretRecord extends SecretContentRecord {
  id: string;
  folderId: string;
  /** The folder's environment (joined, not stored on the row). */
  envId: string;
  reminderNote: string | null;
  reminderRepeatDays: number | null;
  actor: SecretActorRecord | null;
  tagIds: string[];
  createdAt: string;
  updatedAt: string;
}

/** One kept version of a secret (every write stores the version it creates). */
export interface SecretVersionRecord extends SecretContentRecord {
  secretId: string;
  folderId: string;
  createdAt: string;
}

export interface TagRecord {
  id: string;
  projectId: string;
  slug: string;
  color: string;
  createdBy: string | null;
  createdByActorType: string | null;
  createdAt: string;
  updatedAt: string;
}

export interface SecretImportRecord {
  id: string;
  folderId: string;
  importEnvId: string;
  importPath: string;
  position: number;
  isReplication: boolean;
  version: number;
  createdAt: string;
  updatedAt: string;
}

/** A folder as it was when a snapshot was taken (upstream's `secret_snapshots` row). */
export interface SnapshotRecord {
  id: string;
  envId: string;
  folderId: string;
  parentFolderId: string | null;
  createdAt: string;
  updatedAt: string;
}

/** A secret as a snapshot recorded it: its row, sealed as it was stored. */
export interface SnapshotSecretRecord extends SecretContentRecord {
  secretId: string;
  folderId: string;
  reminderRepeatDays: number | null;
  tagIds: string[];
  /** When this version was written. */
  createdAt: string;
}

/** A sub-folder as a snapshot recorded it, with its own latest snapshot then (none before migration 11). */
export interface SnapshotFolderRecord {
  folderId: string;
  name: string;
  description: string | null;
  childSnapshotId: string | null;
}

/** A snapshot with what it recorded. */
export interface SnapshotContentRecord extends SnapshotRecord {
  secrets: SnapshotSecretRecord[];
  folders: SnapshotFolderRecord[];
}

/** Folder changes written in the same transaction as a {@link SecretWrite} (a snapshot rollback). */
export interface FolderWrite {
  /** Folders to create, parents first. */
  inserts: FolderRecord[];
  /** Renames (name and description). */
  updates: FolderRecord[];
  /** Folders to delete with their subtrees. */
  deletes: string[];
}

/** One atomic change set of secrets: all rows are written, or none. */
export interface SecretWrite {
  inserts: SecretRecord[];
  /** `secret` carries the new version; the row must still be at `previousVersion`. */
  updates: { secret: SecretRecord; previousVersion: number }[];
  deletes: string[];
  /** Versions each written secret keeps (its newest ones); absent keeps every version. */
  keepVersions?: number;
  /** Folder changes applied first, in the same transaction. */
  folders?: FolderWrite;
  /** The time of the snapshots this write takes of every folder it changes. @default now */
  at?: string;
}

/** What a KMS key is for, and with which algorithm. */
export type KmsKeyUsage = 'encrypt-decrypt' | 'sign-verify';
export type KmsKeyAlgorithm = 'aes-256-gcm' | 'aes-128-gcm' | 'RSA_4096' | 'ECC_NIST_P256';

/** A project's KMS key (its material lives in {@link KmsKeyVersionRecord}s). */
export interface KmsKeyRecord {
  id: string;
  projectId: string;
  orgId: string;
  name: string;
  description: string;
  isDisabled: boolean;
  keyUsage: KmsKeyUsage;
  encryptionAlgorithm: KmsKeyAlgorithm;
  /** Asked for at creation (upstream's `isExportable`); this server still never exports material. */
  isExportable: boolean;
  /** The version new ciphertexts and signatures use. */
  version: number;
  createdAt: string;
  updatedAt: string;
}

/** One version of a key's material, sealed under the project's data key. */
export interface KmsKeyVersionRecord {
  keyId: string;
  version: number;
  /** AES-GCM under the project data key, bound to the key id and version (see domains/kms/key-material.ts). */
  sealedMaterial: string;
  /** SPKI DER, base64, for signing keys (public by nature, stored in the clear). */
  publicKey: string | null;
  createdAt: string;
}

/** Filters and paging of the key list. */
export interface KmsKeyListQuery {
  projectId: string;
  offset: number;
  limit: number;
  orderDirection: 'asc' | 'desc';
  search?: string | undefined;
}

/** Filters of the audit-log query API (all optional; dates are ISO strings). */
export interface AuditQuery {
  /** Restricts to these projects' entries plus organization-level entries of this actor. */
  visibleTo?: { projectIds: string[]; actorId: string } | undefined;
  orgId?: string;
  projectId?: string;
  environment?: string;
  actorType?: string;
  actorId?: string;
  eventTypes?: string[];
  userAgentType?: string;
  secretPath?: string;
  secretKey?: string;
  eventMetadata?: Record<string, string>;
  startDate?: string;
  endDate?: string;
  offset: number;
  limit: number;
}

/**
 * An organization's connection to an outside system (upstream's app connection). The credentials
 * are one AES-256-GCM ciphertext under a data key of the connection's own, wrapped by the root key.
 */
export interface AppConnectionRecord {
  id: string;
  orgId: string;
  name: string;
  description: string | null;
  /** The kind of system (`postgres`). */
  app: string;
  /** How it authenticates (`username-and-password`). */
  method: string;
  credentialsCiphertext: string;
  credentialsKey: { wrapped: string; keyId: string };
  version: number;
  createdAt: string;
  updatedAt: string;
}

/** When a rotation runs: `hours`:`minutes` UTC on its due day. */
export interface RotateAtUtc {
  hours: number;
  minutes: number;
}

/** A secret rotation (upstream's secret rotation v2); generated credentials sealed under the project data key. */
export interface SecretRotationRecord {
  id: string;
  projectId: string;
  envId: string;
  folderId: string;
  connectionId: string;
  /** The provider (`postgres-credentials`). */
  type: string;
  name: string;
  description: string | null;
  parameters: Record<string, unknown>;
  secretsMapping: Record<string, string>;
  generatedCredentialsCiphertext: string;
  activeIndex: number;
  isAutoRotationEnabled: boolean;
  rotationInterval: number;
  rotateAtUtc: RotateAtUtc;
  rotationStatus: 'success' | 'failed' | null;
  lastRotationAttemptedAt: string | null;
  lastRotatedAt: string | null;
  lastRotationMessage: string | null;
  isLastRotationManual: boolean;
  nextRotationAt: string | null;
  /**
   * The credentials an unfinished rotation is installing (sealed): a holder that resumes the
   * rotation after a crash installs these instead of generating others.
   */
  pendingCredentialsCiphertext: string | null;
  /** Which process holds the rotation's lease, until when (a crashed holder's lease runs out). */
  claimedBy: string | null;
  claimExpiresAt: string | null;
  createdAt: string;
  updatedAt: string;
}

/** How a webhook's last delivery went (upstream's `lastStatus`). */
export type WebhookStatus = 'success' | 'failed';

/**
 * A project webhook (domains/webhooks/). The URL and the signing key are sealed under the project
 * data key, bound to the webhook's id; `secretPath` is a glob over secret paths.
 */
export interface WebhookRecord {
  id: string;
  projectId: string;
  envId: string;
  secretPath: string;
  /** Upstream's `type`: only `general` (a JSON POST) is delivered here. */
  type: 'general';
  urlCiphertext: string;
  /** Absent when the webhook has no signing key (deliveries are then unsigned). */
  keyCiphertext: string | null;
  isDisabled: boolean;
  /** Event names the webhook is limited to; empty means every subscribable event. */
  filteredEvents: string[];
  lastStatus: WebhookStatus | null;
  lastRunErrorMessage: string | null;
  createdAt: string;
  updatedAt: string;
}
