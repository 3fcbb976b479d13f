/**
 * Health, readiness, the instance config and the one-shot bootstrap. Answers never carry an error
 * message from the store or the key backend (those go to the log).
 */
import { randomUUID } from 'node:crypto';
import { Router } from 'express';
import { z } from 'zod';
import { newTokenRecord, signAccessToken } from '../../auth/access-tokens.js';
import type { ServerContext } from '../../context.js';
import { hashPassword } from '../../crypto/secret-hash.js';
import { badRequest } from '../../http/errors.js';
import { ALL_IPS } from '../../http/ip-match.js';
import { parseBody } from '../../http/validate.js';
import type { AuthMethodRecord, IdentityRecord, TokenAuthConfig } from '../../store/records.js';
import { randomSlug } from '../../shared/schemas.js';
import { routeDocs } from '../../openapi/route-doc.js';
import { bootstrapPasswordProblem } from './bootstrap-password.js';

const bootstrapBody = z.object({
  email: z.string().trim().toLowerCase().pipe(z.email()),
  password: z
    .string()
    .trim()
    .superRefine((password, check) => {
      const problem = bootstrapPasswordProblem(password);
      if (problem) check.addIssue({ code: 'custom', message: problem });
    }),
  organization: z.string().trim().min(1).max(64),
});

/** How long a key-backend readiness result is reused (probes come every few seconds). */
const READY_KEY_CHECK_MS = 30_000;
/** A readiness check that does not answer in time counts as failed. */
const READY_CHECK_TIMEOUT_MS = 5_000;

interface ComponentHealth {
  ok: boolean;
  latencyMs: number;
  error?: string;
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

/** Health, instance config and the one-shot bootstrap (docs/reference/api.md#admin-status-config-bootstrap). */
export function adminRouter(ctx: ServerContext): Router {
  const router = Router();

  // Liveness answers without the database (an outage of the database must not get healthy replicas
  // restarted); `initialized` never goes back to false, so once seen it is not read again.
  let initialized = false;
  router.get('/api/status', async (_req, res) => {
    if (!initialized)
      initialized = (await ctx.store.access.getConfig().catch(() => undefined))?.initialized ?? false;
    res.json({
      date: new Date(ctx.now()).toISOString(),
      message: 'Ok',
      emailConfigured: false,
      inviteOnlySignup: !initialized,
      redisConfigured: false,
      secretScanningConfigured: false,
      auditLogStorageDisabled: false,
    });
  });

  // Readiness for load balancers and orchestrators: the store answers and the root key opens the
  // server's signing secret. The key check calls the backend (another KMS, Vault, AWS), so its result
  // is reused for READY_KEY_CHECK_MS while it passes; failures are logged, the answer names only the failing part.
  let lastKeyCheck: { at: number; health: ComponentHealth } | undefined;
  router.get('/api/status/ready', async (_req, res) => {
    const store = await timed(() => ctx.store.ping());
    const now = ctx.now();
    // A passing key check is reused for a while; a failing one is repeated on the next probe.
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
    const ready = store.ok && keyBackend.ok;
    // The public answer never carries an error message (it could name a key id or a host).
    const view = ({ error: _error, ...rest }: ComponentHealth & { backend?: string }) => rest;
    res.status(ready ? 200 : 503).json({ ready, store: view(store), keyBackend: view(keyBackend) });
  });

  router.get('/api/v1/admin/config', async (_req, res) => {
    const config = await ctx.store.access.getConfig();
    res.json({
      config: {
        id: '00000000-0000-0000-0000-000000000000',
        initialized: config?.initialized ?? false,
        allowSignUp: !(config?.initialized ?? false),
        adminIdentityIds: config?.adminIdentityIds ?? [],
        isMigrationModeOn: false,
        isSecretScanningDisabled: true,
        fipsEnabled: false,
      },
    });
  });

  router.post('/api/v1/admin/bootstrap', async (req, res) => {
    const body = parseBody(req, bootstrapBody);
    await ctx.jwtKey(); // makes sure the config row exists before the one-shot claim
    const now = ctx.now();
    const iso = new Date(now).toISOString();
    const email = body.email.toLowerCase();
    const org = {
      id: randomUUID(),
      name: body.organization,
      slug: randomSlug(body.organization),
      createdAt: iso,
      updatedAt: iso,
    };
    const user = {
      id: randomUUID(),
      email,
      passwordHash: hashPassword(body.password),
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
    res.json({
      message: 'Successfully bootstrapped instance',
      user: { id: user.id, username: email, email, firstName: 'Admin', lastName: 'User', superAdmin: true },
      organization: { id: org.id, name: org.name, slug: org.slug },
      identity: {
        id: identity.id,
        name: identity.name,
        credentials: { token: await signAccessToken(ctx, token, now) },
      },
    });
  });

  return router;
}

/** The routes above, as the OpenAPI document describes them (src/openapi/route-doc.ts). */
export const adminRouteDocs = routeDocs('Status', [
  { method: 'get', path: '/api/status', summary: 'Liveness: answers without the database', auth: false },
  {
    method: 'get',
    path: '/api/status/ready',
    summary: 'Readiness: the store and the key backend answer (503 otherwise)',
    auth: false,
  },
  {
    method: 'get',
    path: '/api/v1/admin/config',
    summary: 'Whether the instance is initialized',
    auth: false,
  },
  {
    method: 'post',
    path: '/api/v1/admin/bootstrap',
    summary: 'Set up the instance once: an admin identity token and the organization',
    auth: false,
    body: bootstrapBody,
    deviation: 'M3 (returns a non-expiring Token Auth token of an instance-admin identity).',
  },
]);
