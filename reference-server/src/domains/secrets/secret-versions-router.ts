/**
 * Secret version routes: parse, call secret-versions.ts, shape the answer.
 */
import { Router } from 'express';
import { requireAuth } from '../../auth/require-auth.js';
import { authOf, type ServerContext } from '../../context.js';
import { parseBody, parseParams, parseQuery } from '../../http/validate.js';
import { routeDocs } from '../../openapi/route-doc.js';
import { callerForProjectId } from './caller.js';
import { secretIdParams, secretRollbackBody, secretVersionsQuery } from './schemas.js';
import { listSecretVersions, projectOfSecret, rollbackSecret } from './secret-versions.js';

/**
 * Secret versions (docs/reference/api.md#secret-versions-and-snapshots). Upstream serves the list
 * to user sessions only; here identities with the role for it use it too.
 */
export function secretVersionsRouter(ctx: ServerContext): Router {
  const router = Router();
  const auth = requireAuth(ctx);

  const callerOf = async (req: Parameters<Parameters<Router['get']>[1]>[0], secretId: string) =>
    callerForProjectId(ctx, req, await projectOfSecret(ctx, authOf(req), secretId));

  router.get('/api/v1/secret/:secretId/secret-versions', auth, async (req, res) => {
    const { secretId } = parseParams(req, secretIdParams);
    const page = parseQuery(req, secretVersionsQuery);
    res.json(await listSecretVersions(ctx, await callerOf(req, secretId), { secretId, ...page }));
  });

  router.post('/api/v1/secret/:secretId/secret-versions/rollback', auth, async (req, res) => {
    const { secretId } = parseParams(req, secretIdParams);
    const { version } = parseBody(req, secretRollbackBody);
    res.json(await rollbackSecret(ctx, await callerOf(req, secretId), { secretId, version }));
  });

  return router;
}

/** The routes above, as the OpenAPI document describes them (src/openapi/route-doc.ts). */
export const secretVersionsRouteDocs = routeDocs('Secrets', [
  {
    method: 'get',
    path: '/api/v1/secret/:secretId/secret-versions',
    summary: 'List the versions of a secret, newest first (values only for callers who may read them)',
    params: secretIdParams,
    query: secretVersionsQuery,
    deviation: 'Upstream serves this to user sessions only; identities with the role use it here.',
  },
  {
    method: 'post',
    path: '/api/v1/secret/:secretId/secret-versions/rollback',
    summary: "Write a version's value as a new version (history stays append-only)",
    params: secretIdParams,
    body: secretRollbackBody,
  },
]);
