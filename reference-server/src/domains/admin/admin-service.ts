/**
 * Instance status and the one-shot bootstrap: whether the instance is initialized, its readiness
 * (the store answers, the root key opens the signing secret), its public config, and the bootstrap
 * that creates the first organization, admin user and admin identity token. No HTTP here; errors of
 * the store or the key backend go to the log, never into a result an answer carries.
 */
import { randomUUID } from 'node:crypto';
import { newTokenRecord, signAccessToken } from '../../auth/access-tokens.js';
import type { ServerContext } from '../../context.js';
import { hashPassword } from '../../crypto/secret-hash.js';
import { badRequest } from '../../http/errors.js';
import { ALL_IPS } from '../../http/ip-match.js';
import { randomSlug } from '../../shared/schemas.js';
import type {
  AuthMethodRecord,
  IdentityRecord,
  OrganizationRecord,
  TokenAuthConfig,
  UserRecord,
} from '../../store/records.js';

/** How long a key-backend readiness result is reused (probes come every few seconds). */
const READY_KEY_CHECK_MS = 30_000;
/** A readiness check that does not answer in time counts as failed. */
const READY_CHECK_TIMEOUT_MS = 5_000;

/** The result of one readiness check; `error` is for the log only. */
export interface ComponentHealth {
  ok: boolean;
  latencyMs: number;
  error?: string;
}

/** The readiness of the instance: the store, and the key backend (named by its kind). */
export interface Readiness {
  ready: boolean;
  store: ComponentHealth;
  keyBackend: ComponentHealth & { backend: string };
}

/** The status checks of one server, with what they remember between probes. */
export interface StatusChecks {
  /** Whether the instance was bootstrapped; a store failure reads as not (liveness never fails on it). */
  initialized(): Promise<boolean>;
  /** Whether the store and the key backend answer; failures are logged. */
  readiness(): Promise<Readiness>;
}

async function timed(check: () => Promise<void>): Promise<ComponentHealth> {
  const started = performance.now();
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    await Promise.race([
      check(),
      new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(new Error(`no answer within ${READY_CHECK_TIMEOUT_MS} ms`)),
          READY_CHECK_TIMEOUT_MS,
        );
      }),
    ]);
    return { ok: true, latencyMs: Math.round(performance.now() - started) };
  } catch (error) {
    return { ok: false, latencyMs: Math.round(performance.now() - started), error: (error as Error).message };
  } finally {
    clearTimeout(timer);
  }
}

/** The status checks of a server (one per app, so what they remember is that server's). */
export function statusChecks(ctx: ServerContext): StatusChecks {
  // Liveness answers without the database (an outage of the database must not get healthy replicas
  // restarted); `initialized` never goes back to false, so once seen it is not read again.
  let initialized = false;
  // The key check calls the backend (another KMS, Vault, AWS), so a passing result is reused for
  // READY_KEY_CHECK_MS; a failing one is repeated on the next probe.
  let lastKeyCheck: { at: number; health: ComponentHealth } | undefined;
  return {
    async initialized() {
      if (!initialized)
        initialized = (await ctx.store.access.getConfig().catch(() => undefined))?.initialized ?? false;
      return initialized;
    },
    async readiness() {
      const store = await timed(() => ctx.store.ping());
      const now = ctx.now();
      const reuse = lastKeyCheck?.health.ok === true && now - lastKeyCheck.at < READY_KEY_CHECK_MS;
      const keyHealth = reuse
        ? lastKeyCheck!.health
        : await timed(async () => {
            const config = await ctx.store.access.getConfig();
            if (config) await ctx.keys.unwrapDataKey(config.jwtSecret);
          });
      if (!reuse) lastKeyCheck = { at: now, health: keyHealth };
      const keyBackend = { backend: ctx.keys.describe().backend, ...keyHealth };
      if (!store.ok) ctx.logger.error({ err: { message: store.error } }, 'readiness: store check failed');
      if (!keyBackend.ok)
        ctx.logger.error({ err: { message: keyBackend.error } }, 'readiness: key backend check failed');
      return { ready: store.ok && keyBackend.ok, store, keyBackend };
    },
  };
}

/** The public part of the instance configuration (never the wrapped signing secret). */
export interface InstanceConfig {
  initialized: boolean;
  adminIdentityIds: string[];
}

/** The instance configuration; before the server first wrote it, not initialized and no admins. */
export async function instanceConfig(ctx: ServerContext): Promise<InstanceConfig> {
  const config = await ctx.store.access.getConfig();
  return { initialized: config?.initialized ?? false, adminIdentityIds: config?.adminIdentityIds ?? [] };
}

/** The bootstrap body (validated): the admin user's email and password, the organization's name. */
export interface BootstrapInput {
  email: string;
  password: string;
  organization: string;
}

/** What a bootstrap created, with the admin identity's signed token. */
export interface BootstrapResult {
  user: UserRecord;
  org: OrganizationRecord;
  identity: IdentityRecord;
  token: string;
}

/**
 * Sets up the instance once: an organization, its super-admin user, and an org-admin identity with
 * a non-expiring Token Auth token (docs/reference/api.md, M3). Unauthenticated, so there is no
 * caller; a second bootstrap is a 400.
 */
export async function bootstrapInstance(ctx: ServerContext, input: BootstrapInput): Promise<BootstrapResult> {
  await ctx.jwtKey(); // makes sure the config row exists before the one-shot claim
  const now = ctx.now();
  const iso = new Date(now).toISOString();
  const email = input.email.toLowerCase();
  const org: OrganizationRecord = {
    id: randomUUID(),
    name: input.organization,
    slug: randomSlug(input.organization),
    createdAt: iso,
    updatedAt: iso,
  };
  const user: UserRecord = {
    id: randomUUID(),
    email,
    passwordHash: hashPassword(input.password),
    superAdmin: true,
    orgId: org.id,
    createdAt: iso,
    updatedAt: iso,
  };
  const identity: IdentityRecord = {
    id: randomUUID(),
    name: 'Instance Admin Identity',
    orgId: org.id,
    orgRole: 'admin',
    hasDeleteProtection: false,
    metadata: [],
    lastLoginAuthMethod: null,
    lastLoginTime: null,
    createdAt: iso,
    updatedAt: iso,
  };
  const tokenAuthConfig: TokenAuthConfig = {
    accessTokenTTL: 0,
    accessTokenMaxTTL: 0,
    accessTokenNumUsesLimit: 0,
    accessTokenPeriod: 0,
    accessTokenTrustedIps: ALL_IPS,
  };
  const tokenAuth: AuthMethodRecord = {
    id: randomUUID(),
    identityId: identity.id,
    method: 'token-auth',
    clientId: null,
    config: tokenAuthConfig,
    createdAt: iso,
    updatedAt: iso,
  };
  const token = newTokenRecord(identity.id, 'token-auth', tokenAuthConfig, now, {
    name: 'Instance Admin Token',
  });
  const done = await ctx.store.access.bootstrap({ org, user, identity, tokenAuth, token });
  if (!done) throw badRequest('Instance has already been set up');
  return { user, org, identity, token: await signAccessToken(ctx, token, now) };
}
