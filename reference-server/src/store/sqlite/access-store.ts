import type { SqliteDatabase } from '../database.js';
import type {
  AccessTokenRecord,
  AuthMethodName,
  AuthMethodRecord,
  ClientSecretRecord,
  IdentityRecord,
  LockoutRecord,
  OrganizationRecord,
  ServerConfigRecord,
  UserRecord,
} from '../records.js';
import { bool, json, type Row } from './rows.js';

/** Instance config, organizations, users and machine identities with their credentials. */
export interface AccessStore {
  getConfig(): Promise<ServerConfigRecord | undefined>;
  saveConfig(config: ServerConfigRecord): Promise<void>;
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
  saveLockout(lockout: LockoutRecord): Promise<void>;
  clearLockouts(authMethodId: string): Promise<number>;

  insertAccessToken(token: AccessTokenRecord): Promise<void>;
  getAccessToken(id: string): Promise<AccessTokenRecord | undefined>;
  listAccessTokens(identityId: string, authMethod: AuthMethodName): Promise<AccessTokenRecord[]>;
  updateAccessToken(token: AccessTokenRecord): Promise<void>;
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

const toOrg = (r: Row): OrganizationRecord => ({
  id: r.id as string,
  name: r.name as string,
  slug: r.slug as string,
  createdAt: r.created_at as string,
  updatedAt: r.updated_at as string,
});

const toIdentity = (r: Row): IdentityRecord => ({
  id: r.id as string,
  name: r.name as string,
  orgId: r.org_id as string,
  orgRole: r.org_role as string,
  hasDeleteProtection: bool(r.has_delete_protection),
  metadata: json(r.metadata, []),
  lastLoginAuthMethod: (r.last_login_auth_method as string | null) ?? null,
  lastLoginTime: (r.last_login_time as string | null) ?? null,
  createdAt: r.created_at as string,
  updatedAt: r.updated_at as string,
});

const toAuthMethod = (r: Row): AuthMethodRecord => ({
  id: r.id as string,
  identityId: r.identity_id as string,
  method: r.method as AuthMethodName,
  clientId: (r.client_id as string | null) ?? null,
  config: json(r.config, {} as AuthMethodRecord['config']),
  createdAt: r.created_at as string,
  updatedAt: r.updated_at as string,
});

const toClientSecret = (r: Row): ClientSecretRecord => ({
  id: r.id as string,
  authMethodId: r.auth_method_id as string,
  description: r.description as string,
  prefix: r.prefix as string,
  secretHash: r.secret_hash as string,
  ttl: r.ttl as number,
  numUses: r.num_uses as number,
  numUsesLimit: r.num_uses_limit as number,
  isRevoked: bool(r.is_revoked),
  createdAt: r.created_at as string,
  updatedAt: r.updated_at as string,
});

const toToken = (r: Row): AccessTokenRecord => ({
  id: r.id as string,
  identityId: r.identity_id as string,
  authMethod: r.auth_method as AuthMethodName,
  name: (r.name as string | null) ?? null,
  clientSecretId: (r.client_secret_id as string | null) ?? null,
  ttl: r.ttl as number,
  maxTtl: r.max_ttl as number,
  numUses: r.num_uses as number,
  numUsesLimit: r.num_uses_limit as number,
  period: r.period as number,
  trustedIps: json(r.trusted_ips, []),
  isRevoked: bool(r.is_revoked),
  lastUsedAt: (r.last_used_at as string | null) ?? null,
  lastRenewedAt: (r.last_renewed_at as string | null) ?? null,
  createdAtMs: r.created_at_ms as number,
  renewedAtMs: r.renewed_at_ms as number,
  createdAt: r.created_at as string,
  updatedAt: r.updated_at as string,
});

const tokenParams = (t: AccessTokenRecord) => ({
  id: t.id,
  identity_id: t.identityId,
  auth_method: t.authMethod,
  name: t.name,
  client_secret_id: t.clientSecretId,
  ttl: t.ttl,
  max_ttl: t.maxTtl,
  num_uses: t.numUses,
  num_uses_limit: t.numUsesLimit,
  period: t.period,
  trusted_ips: JSON.stringify(t.trustedIps),
  is_revoked: t.isRevoked ? 1 : 0,
  last_used_at: t.lastUsedAt,
  last_renewed_at: t.lastRenewedAt,
  created_at_ms: t.createdAtMs,
  renewed_at_ms: t.renewedAtMs,
  created_at: t.createdAt,
  updated_at: t.updatedAt,
});

const identityParams = (i: IdentityRecord) => ({
  id: i.id,
  name: i.name,
  org_id: i.orgId,
  org_role: i.orgRole,
  has_delete_protection: i.hasDeleteProtection ? 1 : 0,
  metadata: JSON.stringify(i.metadata),
  last_login_auth_method: i.lastLoginAuthMethod,
  last_login_time: i.lastLoginTime,
  created_at: i.createdAt,
  updated_at: i.updatedAt,
});

const authMethodParams = (m: AuthMethodRecord) => ({
  id: m.id,
  identity_id: m.identityId,
  method: m.method,
  client_id: m.clientId,
  config: JSON.stringify(m.config),
  created_at: m.createdAt,
  updated_at: m.updatedAt,
});

const INSERT_TOKEN = `INSERT INTO access_tokens (id, identity_id, auth_method, name, client_secret_id, ttl, max_ttl, num_uses,
  num_uses_limit, period, trusted_ips, is_revoked, last_used_at, last_renewed_at, created_at_ms, renewed_at_ms, created_at, updated_at)
  VALUES (@id, @identity_id, @auth_method, @name, @client_secret_id, @ttl, @max_ttl, @num_uses, @num_uses_limit, @period,
  @trusted_ips, @is_revoked, @last_used_at, @last_renewed_at, @created_at_ms, @renewed_at_ms, @created_at, @updated_at)`;
const INSERT_IDENTITY = `INSERT INTO identities (id, name, org_id, org_role, has_delete_protection, metadata, last_login_auth_method,
  last_login_time, created_at, updated_at) VALUES (@id, @name, @org_id, @org_role, @has_delete_protection, @metadata,
  @last_login_auth_method, @last_login_time, @created_at, @updated_at)`;
const INSERT_AUTH_METHOD = `INSERT INTO identity_auth_methods (id, identity_id, method, client_id, config, created_at, updated_at)
  VALUES (@id, @identity_id, @method, @client_id, @config, @created_at, @updated_at)`;

export class SqliteAccessStore implements AccessStore {
  constructor(private readonly db: SqliteDatabase) {}

  async getConfig() {
    const r = this.db.prepare('SELECT * FROM server_config WHERE id = 1').get() as Row | undefined;
    if (!r) return undefined;
    return {
      initialized: bool(r.initialized),
      adminIdentityIds: json<string[]>(r.admin_identity_ids, []),
      jwtSecret: { wrapped: r.jwt_secret_wrapped as string, keyId: r.jwt_secret_key_id as string },
    };
  }

  async saveConfig(c: ServerConfigRecord) {
    const now = new Date().toISOString();
    this.db
      .prepare(
        `INSERT INTO server_config (id, initialized, admin_identity_ids, jwt_secret_wrapped, jwt_secret_key_id, created_at, updated_at)
         VALUES (1, @initialized, @admin, @wrapped, @keyId, @now, @now)
         ON CONFLICT(id) DO UPDATE SET initialized = @initialized, admin_identity_ids = @admin,
           jwt_secret_wrapped = @wrapped, jwt_secret_key_id = @keyId, updated_at = @now`,
      )
      .run({
        initialized: c.initialized ? 1 : 0,
        admin: JSON.stringify(c.adminIdentityIds),
        wrapped: c.jwtSecret.wrapped,
        keyId: c.jwtSecret.keyId,
        now,
      });
  }

  async bootstrap(input: Parameters<AccessStore['bootstrap']>[0]) {
    const { org, user, identity, tokenAuth, token } = input;
    return this.db.transaction(() => {
      const claimed = this.db
        .prepare(
          'UPDATE server_config SET initialized = 1, admin_identity_ids = ?, updated_at = ? WHERE id = 1 AND initialized = 0',
        )
        .run(JSON.stringify([identity.id]), org.createdAt);
      if (claimed.changes !== 1) return false;
      this.db
        .prepare('INSERT INTO organizations (id, name, slug, created_at, updated_at) VALUES (?, ?, ?, ?, ?)')
        .run(org.id, org.name, org.slug, org.createdAt, org.updatedAt);
      this.db
        .prepare(
          'INSERT INTO users (id, email, password_hash, super_admin, org_id, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)',
        )
        .run(
          user.id,
          user.email,
          user.passwordHash,
          user.superAdmin ? 1 : 0,
          user.orgId,
          user.createdAt,
          user.updatedAt,
        );
      this.db.prepare(INSERT_IDENTITY).run(identityParams(identity));
      this.db.prepare(INSERT_AUTH_METHOD).run(authMethodParams(tokenAuth));
      this.db.prepare(INSERT_TOKEN).run(tokenParams(token));
      return true;
    })();
  }

  async getOrganization(id: string) {
    const r = this.db.prepare('SELECT * FROM organizations WHERE id = ?').get(id) as Row | undefined;
    return r && toOrg(r);
  }

  async getOrganizationBySlug(slug: string) {
    const r = this.db.prepare('SELECT * FROM organizations WHERE slug = ?').get(slug) as Row | undefined;
    return r && toOrg(r);
  }

  async insertIdentity(identity: IdentityRecord) {
    this.db.prepare(INSERT_IDENTITY).run(identityParams(identity));
  }

  async getIdentity(id: string) {
    const r = this.db.prepare('SELECT * FROM identities WHERE id = ?').get(id) as Row | undefined;
    return r && toIdentity(r);
  }

  async listIdentities(orgId: string) {
    return (
      this.db.prepare('SELECT * FROM identities WHERE org_id = ? ORDER BY name, id').all(orgId) as Row[]
    ).map(toIdentity);
  }

  async updateIdentity(i: IdentityRecord) {
    this.db
      .prepare(
        `UPDATE identities SET name = @name, org_role = @org_role, has_delete_protection = @has_delete_protection,
         metadata = @metadata, last_login_auth_method = @last_login_auth_method, last_login_time = @last_login_time,
         updated_at = @updated_at WHERE id = @id`,
      )
      .run(identityParams(i));
  }

  async deleteIdentity(id: string) {
    this.db.prepare('DELETE FROM identities WHERE id = ?').run(id);
  }

  async insertAuthMethod(m: AuthMethodRecord) {
    this.db.prepare(INSERT_AUTH_METHOD).run(authMethodParams(m));
  }

  async getAuthMethod(identityId: string, method: AuthMethodName) {
    const r = this.db
      .prepare('SELECT * FROM identity_auth_methods WHERE identity_id = ? AND method = ?')
      .get(identityId, method) as Row | undefined;
    return r && toAuthMethod(r);
  }

  async getAuthMethodByClientId(clientId: string) {
    const r = this.db.prepare('SELECT * FROM identity_auth_methods WHERE client_id = ?').get(clientId) as
      | Row
      | undefined;
    return r && toAuthMethod(r);
  }

  async listAuthMethods(identityId: string) {
    return (
      this.db
        .prepare('SELECT * FROM identity_auth_methods WHERE identity_id = ? ORDER BY method')
        .all(identityId) as Row[]
    ).map(toAuthMethod);
  }

  async updateAuthMethod(m: AuthMethodRecord) {
    this.db
      .prepare('UPDATE identity_auth_methods SET config = @config, updated_at = @updated_at WHERE id = @id')
      .run(authMethodParams(m));
  }

  async deleteAuthMethod(id: string, identityId: string, method: AuthMethodName) {
    this.db.transaction(() => {
      this.db
        .prepare('DELETE FROM access_tokens WHERE identity_id = ? AND auth_method = ?')
        .run(identityId, method);
      this.db.prepare('DELETE FROM identity_auth_methods WHERE id = ?').run(id);
    })();
  }

  async insertClientSecret(s: ClientSecretRecord) {
    this.db
      .prepare(
        `INSERT INTO ua_client_secrets (id, auth_method_id, description, prefix, secret_hash, ttl, num_uses, num_uses_limit,
         is_revoked, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(
        s.id,
        s.authMethodId,
        s.description,
        s.prefix,
        s.secretHash,
        s.ttl,
        s.numUses,
        s.numUsesLimit,
        s.isRevoked ? 1 : 0,
        s.createdAt,
        s.updatedAt,
      );
  }

  async getClientSecret(id: string) {
    const r = this.db.prepare('SELECT * FROM ua_client_secrets WHERE id = ?').get(id) as Row | undefined;
    return r && toClientSecret(r);
  }

  async listClientSecrets(authMethodId: string) {
    return (
      this.db
        .prepare('SELECT * FROM ua_client_secrets WHERE auth_method_id = ? ORDER BY created_at DESC')
        .all(authMethodId) as Row[]
    ).map(toClientSecret);
  }

  async findClientSecretsByPrefix(authMethodId: string, prefix: string) {
    return (
      this.db
        .prepare('SELECT * FROM ua_client_secrets WHERE auth_method_id = ? AND prefix = ? AND is_revoked = 0')
        .all(authMethodId, prefix) as Row[]
    ).map(toClientSecret);
  }

  async revokeClientSecret(id: string, now: string) {
    this.db.prepare('UPDATE ua_client_secrets SET is_revoked = 1, updated_at = ? WHERE id = ?').run(now, id);
  }

  async revokeAccessTokensOfClientSecret(clientSecretId: string, now: string) {
    return this.db
      .prepare(
        'UPDATE access_tokens SET is_revoked = 1, updated_at = ? WHERE client_secret_id = ? AND is_revoked = 0',
      )
      .run(now, clientSecretId).changes;
  }

  async consumeClientSecretUse(id: string, now: string) {
    const r = this.db
      .prepare(
        `UPDATE ua_client_secrets SET num_uses = num_uses + 1, updated_at = ?
         WHERE id = ? AND is_revoked = 0 AND (num_uses_limit = 0 OR num_uses < num_uses_limit)`,
      )
      .run(now, id);
    return r.changes === 1;
  }

  async getLockout(authMethodId: string) {
    const r = this.db.prepare('SELECT * FROM auth_lockouts WHERE auth_method_id = ?').get(authMethodId) as
      | Row
      | undefined;
    if (!r) return undefined;
    return {
      authMethodId,
      failures: r.failures as number,
      windowStartedAt: r.window_started_at as number,
      lockedUntil: (r.locked_until as number | null) ?? null,
    };
  }

  async saveLockout(l: LockoutRecord) {
    this.db
      .prepare(
        `INSERT INTO auth_lockouts (auth_method_id, failures, window_started_at, locked_until) VALUES (?, ?, ?, ?)
         ON CONFLICT(auth_method_id) DO UPDATE SET failures = excluded.failures,
         window_started_at = excluded.window_started_at, locked_until = excluded.locked_until`,
      )
      .run(l.authMethodId, l.failures, l.windowStartedAt, l.lockedUntil);
  }

  async clearLockouts(authMethodId: string) {
    return this.db.prepare('DELETE FROM auth_lockouts WHERE auth_method_id = ?').run(authMethodId).changes;
  }

  async insertAccessToken(t: AccessTokenRecord) {
    this.db.prepare(INSERT_TOKEN).run(tokenParams(t));
  }

  async getAccessToken(id: string) {
    const r = this.db.prepare('SELECT * FROM access_tokens WHERE id = ?').get(id) as Row | undefined;
    return r && toToken(r);
  }

  async listAccessTokens(identityId: string, authMethod: AuthMethodName) {
    return (
      this.db
        .prepare(
          'SELECT * FROM access_tokens WHERE identity_id = ? AND auth_method = ? ORDER BY updated_at DESC',
        )
        .all(identityId, authMethod) as Row[]
    ).map(toToken);
  }

  async updateAccessToken(t: AccessTokenRecord) {
    this.db
      .prepare(
        `UPDATE access_tokens SET name = @name, num_uses = @num_uses, is_revoked = @is_revoked, last_used_at = @last_used_at,
         last_renewed_at = @last_renewed_at, renewed_at_ms = @renewed_at_ms, updated_at = @updated_at WHERE id = @id`,
      )
      .run(tokenParams(t));
  }

  async deleteAccessToken(id: string) {
    this.db.prepare('DELETE FROM access_tokens WHERE id = ?').run(id);
  }

  async consumeAccessTokenUse(id: string, now: string) {
    const r = this.db
      .prepare(
        `UPDATE access_tokens SET num_uses = num_uses + 1, last_used_at = ?
         WHERE id = ? AND is_revoked = 0 AND (num_uses_limit = 0 OR num_uses < num_uses_limit)
         RETURNING *`,
      )
      .get(now, id) as Row | undefined;
    return r && toToken(r);
  }

  async purgeDeadAccessTokens(nowMs: number) {
    return this.db
      .prepare(
        `DELETE FROM access_tokens WHERE
           (num_uses_limit > 0 AND num_uses >= num_uses_limit)
           OR (period > 0 AND renewed_at_ms + period * 1000 < @now)
           OR (period = 0 AND ttl > 0 AND renewed_at_ms + ttl * 1000 < @now)
           OR (period = 0 AND max_ttl > 0 AND created_at_ms + max_ttl * 1000 < @now)
           OR (is_revoked = 1 AND updated_at < @revokedBefore)`,
      )
      .run({ now: nowMs, revokedBefore: new Date(nowMs - 86_400_000).toISOString() }).changes;
  }
}
