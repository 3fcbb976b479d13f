/**
 * SQL implementation of the access store: identities, auth methods, client secrets, lockouts and
 * access tokens (a token's use goes through the group committer, store/group-commit.ts).
 */
import type { AccessStore, AccessTokenForRequest } from '../contract.js';
import type {
  AccessTokenRecord,
  AuthMethodName,
  AuthMethodRecord,
  ClientSecretRecord,
  IdentityRecord,
  LockoutRecord,
  OrganizationRecord,
  ServerConfigRecord,
} from '../records.js';
import { aliased, bool, json, pick, type Row } from '../rows.js';
import type { SqlDatabase, SqlExecutor } from '../sql/database.js';

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

export const toToken = (r: Row): AccessTokenRecord => ({
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

/** The token row's columns. */
const TOKEN_COLUMNS = [
  'id',
  'identity_id',
  'auth_method',
  'name',
  'client_secret_id',
  'ttl',
  'max_ttl',
  'num_uses',
  'num_uses_limit',
  'period',
  'trusted_ips',
  'is_revoked',
  'last_used_at',
  'last_renewed_at',
  'created_at_ms',
  'renewed_at_ms',
  'created_at',
  'updated_at',
];

const IDENTITY_COLUMNS = [
  'id',
  'name',
  'org_id',
  'org_role',
  'has_delete_protection',
  'metadata',
  'last_login_auth_method',
  'last_login_time',
  'created_at',
  'updated_at',
];

/**
 * What the token lookup of a request selects (`AccessTokenForRequest`), by name (the statement is
 * kept prepared on PostgreSQL, where `*` may not be), prefixed so it can share a row with the
 * project view (`ProjectStore.getProjectViewForToken`): the token (`tk_`), its identity (`i_`) and
 * its auth method (`am_`). From `access_tokens t` with {@link TOKEN_FOR_REQUEST_JOINS}.
 */
export const TOKEN_FOR_REQUEST_COLUMNS = [
  aliased('t', 'tk_', TOKEN_COLUMNS),
  aliased('i', 'i_', IDENTITY_COLUMNS),
  'am.id AS am_id, am.config AS am_config',
].join(', ');

/** The joins of the token lookup, after `FROM access_tokens t`. */
export const TOKEN_FOR_REQUEST_JOINS = `LEFT JOIN identities i ON i.id = t.identity_id
  LEFT JOIN identity_auth_methods am ON am.identity_id = t.identity_id AND am.method = t.auth_method`;

/** A row selected with {@link TOKEN_FOR_REQUEST_COLUMNS}. */
export function tokenForRequestOf(r: Row): AccessTokenForRequest {
  return {
    token: toToken(pick(r, 'tk_', TOKEN_COLUMNS)),
    identity: r.i_id == null ? undefined : toIdentity(pick(r, 'i_', IDENTITY_COLUMNS)),
    methodConfig: r.am_id == null ? undefined : json(r.am_config, {} as AuthMethodRecord['config']),
  };
}

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

export class SqlAccessStore implements AccessStore {
  constructor(
    private readonly db: SqlDatabase,
    // The group committer (store/group-commit.ts), by shape: it imports this file's row mapping.
    private readonly commits: {
      useAccessToken(id: string, now: string): Promise<AccessTokenRecord | undefined>;
    },
  ) {}

  async getConfig() {
    const r = await this.db.one('SELECT * FROM server_config WHERE id = 1');
    if (!r) return undefined;
    return {
      initialized: bool(r.initialized),
      adminIdentityIds: json<string[]>(r.admin_identity_ids, []),
      jwtSecret: { wrapped: r.jwt_secret_wrapped as string, keyId: r.jwt_secret_key_id as string },
    };
  }

  async initConfig(c: ServerConfigRecord) {
    const now = new Date().toISOString();
    await this.db.run(
      `INSERT INTO server_config (id, initialized, admin_identity_ids, jwt_secret_wrapped, jwt_secret_key_id, created_at, updated_at)
       VALUES (1, @initialized, @admin, @wrapped, @keyId, @now, @now) ON CONFLICT (id) DO NOTHING`,
      {
        initialized: c.initialized ? 1 : 0,
        admin: JSON.stringify(c.adminIdentityIds),
        wrapped: c.jwtSecret.wrapped,
        keyId: c.jwtSecret.keyId,
        now,
      },
    );
    return (await this.getConfig()) as ServerConfigRecord;
  }

  async bootstrap(input: Parameters<AccessStore['bootstrap']>[0]) {
    const { org, user, identity, tokenAuth, token } = input;
    return this.db.transaction(async (tx) => {
      const claimed = await tx.run(
        'UPDATE server_config SET initialized = 1, admin_identity_ids = ?, updated_at = ? WHERE id = 1 AND initialized = 0',
        [JSON.stringify([identity.id]), org.createdAt],
      );
      if (claimed !== 1) return false;
      await tx.run(
        'INSERT INTO organizations (id, name, slug, created_at, updated_at) VALUES (?, ?, ?, ?, ?)',
        [org.id, org.name, org.slug, org.createdAt, org.updatedAt],
      );
      await tx.run(
        'INSERT INTO users (id, email, password_hash, super_admin, org_id, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)',
        [
          user.id,
          user.email,
          user.passwordHash,
          user.superAdmin ? 1 : 0,
          user.orgId,
          user.createdAt,
          user.updatedAt,
        ],
      );
      await tx.run(INSERT_IDENTITY, identityParams(identity));
      await tx.run(INSERT_AUTH_METHOD, authMethodParams(tokenAuth));
      await tx.run(INSERT_TOKEN, tokenParams(token));
      return true;
    });
  }

  async getOrganization(id: string) {
    const r = await this.db.one('SELECT * FROM organizations WHERE id = ?', [id]);
    return r && toOrg(r);
  }

  async getOrganizationBySlug(slug: string) {
    const r = await this.db.one('SELECT * FROM organizations WHERE slug = ?', [slug]);
    return r && toOrg(r);
  }

  async insertIdentity(identity: IdentityRecord) {
    await this.db.run(INSERT_IDENTITY, identityParams(identity));
  }

  async getIdentity(id: string) {
    const r = await this.db.one('SELECT * FROM identities WHERE id = ?', [id]);
    return r && toIdentity(r);
  }

  async listIdentities(orgId: string) {
    return (await this.db.all('SELECT * FROM identities WHERE org_id = ? ORDER BY name, id', [orgId])).map(
      toIdentity,
    );
  }

  async updateIdentity(i: IdentityRecord) {
    await this.db.run(
      `UPDATE identities SET name = @name, org_role = @org_role, has_delete_protection = @has_delete_protection,
       metadata = @metadata, last_login_auth_method = @last_login_auth_method, last_login_time = @last_login_time,
       updated_at = @updated_at WHERE id = @id`,
      identityParams(i),
    );
  }

  async deleteIdentity(id: string) {
    await this.db.run('DELETE FROM identities WHERE id = ?', [id]);
  }

  async insertAuthMethod(m: AuthMethodRecord) {
    await this.db.run(INSERT_AUTH_METHOD, authMethodParams(m));
  }

  async getAuthMethod(identityId: string, method: AuthMethodName) {
    const r = await this.db.one('SELECT * FROM identity_auth_methods WHERE identity_id = ? AND method = ?', [
      identityId,
      method,
    ]);
    return r && toAuthMethod(r);
  }

  async getAuthMethodByClientId(clientId: string) {
    const r = await this.db.one('SELECT * FROM identity_auth_methods WHERE client_id = ?', [clientId]);
    return r && toAuthMethod(r);
  }

  async listAuthMethods(identityId: string) {
    return (
      await this.db.all('SELECT * FROM identity_auth_methods WHERE identity_id = ? ORDER BY method', [
        identityId,
      ])
    ).map(toAuthMethod);
  }

  async updateAuthMethod(m: AuthMethodRecord) {
    await this.db.run(
      'UPDATE identity_auth_methods SET config = @config, updated_at = @updated_at WHERE id = @id',
      authMethodParams(m),
    );
  }

  async deleteAuthMethod(id: string, identityId: string, method: AuthMethodName) {
    await this.db.transaction(async (tx) => {
      await tx.run('DELETE FROM access_tokens WHERE identity_id = ? AND auth_method = ?', [
        identityId,
        method,
      ]);
      await tx.run('DELETE FROM identity_auth_methods WHERE id = ?', [id]);
    });
  }

  async insertClientSecret(s: ClientSecretRecord) {
    await this.db.run(
      `INSERT INTO ua_client_secrets (id, auth_method_id, description, prefix, secret_hash, ttl, num_uses, num_uses_limit,
       is_revoked, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      [
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
      ],
    );
  }

  async getClientSecret(id: string) {
    const r = await this.db.one('SELECT * FROM ua_client_secrets WHERE id = ?', [id]);
    return r && toClientSecret(r);
  }

  async listClientSecrets(authMethodId: string) {
    return (
      await this.db.all('SELECT * FROM ua_client_secrets WHERE auth_method_id = ? ORDER BY created_at DESC', [
        authMethodId,
      ])
    ).map(toClientSecret);
  }

  async findClientSecretsByPrefix(authMethodId: string, prefix: string) {
    return (
      await this.db.all(
        'SELECT * FROM ua_client_secrets WHERE auth_method_id = ? AND prefix = ? AND is_revoked = 0',
        [authMethodId, prefix],
      )
    ).map(toClientSecret);
  }

  async revokeClientSecret(id: string, now: string) {
    await this.db.run('UPDATE ua_client_secrets SET is_revoked = 1, updated_at = ? WHERE id = ?', [now, id]);
  }

  async revokeAccessTokensOfClientSecret(clientSecretId: string, now: string) {
    return this.db.run(
      'UPDATE access_tokens SET is_revoked = 1, updated_at = ? WHERE client_secret_id = ? AND is_revoked = 0',
      [now, clientSecretId],
    );
  }

  async consumeClientSecretUse(id: string, now: string) {
    const changed = await this.db.run(
      `UPDATE ua_client_secrets SET num_uses = num_uses + 1, updated_at = ?
       WHERE id = ? AND is_revoked = 0 AND (num_uses_limit = 0 OR num_uses < num_uses_limit)`,
      [now, id],
    );
    return changed === 1;
  }

  async getLockout(authMethodId: string) {
    return readLockout(this.db, authMethodId);
  }

  async updateLockout(authMethodId: string, next: (current: LockoutRecord | undefined) => LockoutRecord) {
    return this.db.transaction(async (tx) => {
      await tx.lock(`lockout:${authMethodId}`);
      const l = next(await readLockout(tx, authMethodId));
      await tx.run(
        `INSERT INTO auth_lockouts (auth_method_id, failures, window_started_at, locked_until) VALUES (?, ?, ?, ?)
         ON CONFLICT (auth_method_id) DO UPDATE SET failures = excluded.failures,
         window_started_at = excluded.window_started_at, locked_until = excluded.locked_until`,
        [authMethodId, l.failures, l.windowStartedAt, l.lockedUntil],
      );
      return l;
    });
  }

  async clearLockouts(authMethodId: string) {
    return this.db.run('DELETE FROM auth_lockouts WHERE auth_method_id = ?', [authMethodId]);
  }

  async insertAccessToken(t: AccessTokenRecord) {
    await this.db.run(INSERT_TOKEN, tokenParams(t));
  }

  async getAccessToken(id: string) {
    const r = await this.db.one('SELECT * FROM access_tokens WHERE id = ?', [id]);
    return r && toToken(r);
  }

  async getAccessTokenForRequest(id: string) {
    // Every authenticated request sends it: kept prepared on PostgreSQL, so its columns are named.
    const [r] = await this.db.all(
      `SELECT ${TOKEN_FOR_REQUEST_COLUMNS} FROM access_tokens t ${TOKEN_FOR_REQUEST_JOINS} WHERE t.id = ?`,
      [id],
      { prepare: true },
    );
    return r && tokenForRequestOf(r);
  }

  async listAccessTokens(identityId: string, authMethod: AuthMethodName) {
    return (
      await this.db.all(
        'SELECT * FROM access_tokens WHERE identity_id = ? AND auth_method = ? ORDER BY updated_at DESC',
        [identityId, authMethod],
      )
    ).map(toToken);
  }

  // Each token write sets only the fields it owns, in one statement: a renewal on one replica can
  // neither undo a revocation nor lose a use counted on another.
  async renameAccessToken(id: string, name: string | null, now: string) {
    await this.db.run('UPDATE access_tokens SET name = ?, updated_at = ? WHERE id = ?', [name, now, id]);
  }

  async renewAccessToken(id: string, renewedAtMs: number, now: string) {
    const changed = await this.db.run(
      `UPDATE access_tokens SET renewed_at_ms = ?, last_renewed_at = ?, updated_at = ?
       WHERE id = ? AND is_revoked = 0`,
      [renewedAtMs, now, now, id],
    );
    return changed === 1;
  }

  async revokeAccessToken(id: string, now: string) {
    const changed = await this.db.run(
      'UPDATE access_tokens SET is_revoked = 1, updated_at = ? WHERE id = ? AND is_revoked = 0',
      [now, id],
    );
    return changed === 1;
  }

  async deleteAccessToken(id: string) {
    await this.db.run('DELETE FROM access_tokens WHERE id = ?', [id]);
  }

  consumeAccessTokenUse(id: string, now: string) {
    // Batched with the other requests' writes (store/group-commit.ts): resolves once committed.
    return this.commits.useAccessToken(id, now);
  }

  async purgeDeadAccessTokens(nowMs: number) {
    return this.db.run(
      `DELETE FROM access_tokens WHERE
         (num_uses_limit > 0 AND num_uses >= num_uses_limit)
         OR (period > 0 AND renewed_at_ms + period * 1000 < @now)
         OR (period = 0 AND ttl > 0 AND renewed_at_ms + ttl * 1000 < @now)
         OR (period = 0 AND max_ttl > 0 AND created_at_ms + max_ttl * 1000 < @now)
         OR (is_revoked = 1 AND updated_at < @revokedBefore)`,
      { now: nowMs, revokedBefore: new Date(nowMs - 86_400_000).toISOString() },
    );
  }
}

async function readLockout(db: SqlExecutor, authMethodId: string): Promise<LockoutRecord | undefined> {
  const r = await db.one('SELECT * FROM auth_lockouts WHERE auth_method_id = ?', [authMethodId]);
  if (!r) return undefined;
  return {
    authMethodId,
    failures: r.failures as number,
    windowStartedAt: r.window_started_at as number,
    lockedUntil: (r.locked_until as number | null) ?? null,
  };
}
