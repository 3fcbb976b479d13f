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
