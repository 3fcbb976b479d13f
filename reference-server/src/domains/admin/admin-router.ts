/**
 * Health, readiness, the instance config and the one-shot bootstrap: parse, call admin-service.ts,
 * shape the answer. Never touches the store; answers never carry an error message from the store or
 * the key backend (those go to the log).
 */
import { Router } from 'express';
import { z } from 'zod';
import type { ServerContext } from '../../context.js';
import { parseBody } from '../../http/validate.js';
import { routeDocs } from '../../openapi/route-doc.js';
import { bootstrapInstance, type ComponentHealth, instanceConfig, statusChecks } from './admin-service.js';
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

/** Health, instance config and the one-shot bootstrap (docs/reference/api.md#admin-status-config-bootstrap). */
export function adminRouter(ctx: ServerContext): Router {
  const router = Router();
  const status = statusChecks(ctx);

  router.get('/api/status', async (_req, res) => {
    const initialized = await status.initialized();
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

  // Readiness for load balancers and orchestrators; the answer names only the failing part.
  router.get('/api/status/ready', async (_req, res) => {
    const { ready, store, keyBackend } = await status.readiness();
    // The public answer never carries an error message (it could name a key id or a host).
    const view = ({ error: _error, ...rest }: ComponentHealth & { backend?: string }) => rest;
    res.status(ready ? 200 : 503).json({ ready, store: view(store), keyBackend: view(keyBackend) });
  });

  router.get('/api/v1/admin/config', async (_req, res) => {
    const config = await instanceConfig(ctx);
    res.json({
      config: {
        id: '00000000-0000-0000-0000-000000000000',
        initialized: config.initialized,
        allowSignUp: !config.initialized,
        adminIdentityIds: config.adminIdentityIds,
        isMigrationModeOn: false,
        isSecretScanningDisabled: true,
        fipsEnabled: false,
      },
    });
  });

  router.post('/api/v1/admin/bootstrap', async (req, res) => {
    const body = parseBody(req, bootstrapBody);
    const { user, org, identity, token } = await bootstrapInstance(ctx, body);
    res.json({
      message: 'Successfully bootstrapped instance',
      user: {
        id: user.id,
        username: user.email,
        email: user.email,
        firstName: 'Admin',
        lastName: 'User',
        superAdmin: true,
      },
      organization: { id: org.id, name: org.name, slug: org.slug },
      identity: { id: identity.id, name: identity.name, credentials: { token } },
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
