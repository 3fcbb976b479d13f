/**
 * Secrets v3 raw routes: parse, call secret-queries.ts and secret-commands.ts, answer (ETag and 304
 * for listings). Never touches the store.
 */
import { Router } from 'express';
import { countUncountedUse, requireAuth } from '../../auth/require-auth.js';
import type { ServerContext } from '../../context.js';
import { parseBody, parseParams, parseQuery } from '../../http/validate.js';
import { callerFor } from './caller.js';
import {
  batchCreateBody,
  batchDeleteBody,
  batchUpdateBody,
  createSecretBody,
  deleteSecretBody,
  getSecretQuery,
  listSecretsQuery,
  secretNameParams,
  updateSecretBody,
} from './schemas.js';
import {
  createSecret,
  createSecretsBatch,
  deleteSecret,
  deleteSecretsBatch,
  updateSecret,
  updateSecretsBatch,
} from './secret-commands.js';
import { etagMatches } from '../../http/etag.js';
import { getSecret, openListing } from './secret-queries.js';
import { routeDocs } from '../../openapi/route-doc.js';

/** Secrets v3 "raw" endpoints (docs/reference/api.md#secrets). */
export function secretsRouter(ctx: ServerContext): Router {
  const router = Router();
  const auth = requireAuth(ctx);
  // The reads audit every successful answer (an unlimited token's use commits with that entry), and
  // read their project first (the token row is read in the same statement).
  const readAuth = requireAuth(ctx, { countUseWithAudit: true, readTokenWithProject: true });

  router.get('/api/v3/secrets/raw', readAuth, async (req, res) => {
    const q = parseQuery(req, listSecretsQuery);
    const caller = await callerFor(ctx, req, {
      projectId: q.workspaceId,
      projectSlug: q.workspaceSlug,
      environment: q.environment,
    });
    const listing = await openListing(ctx, caller, {
      environment: q.environment,
      secretPath: q.secretPath,
      recursive: q.recursive,
      includeImports: q.include_imports,
      expandSecretReferences: q.expandSecretReferences,
      viewSecretValue: q.viewSecretValue,
      tagSlugs: q.tagSlugs,
      metadataFilter: q.metadataFilter,
    });
    res.set('ETag', listing.etag);
    // An unchanged listing costs no decryption and no audit entry of a read (nothing was read).
    if (etagMatches(req.get('if-none-match'), listing.etag)) {
      await countUncountedUse(ctx, req);
      res.status(304).end();
      return;
    }
    res.type('application/json').send(await listing.render());
  });

  router.get('/api/v3/secrets/raw/:secretName', readAuth, async (req, res) => {
    const { secretName } = parseParams(req, secretNameParams);
    const q = parseQuery(req, getSecretQuery);
    const caller = await callerFor(ctx, req, {
      projectId: q.workspaceId,
      projectSlug: q.workspaceSlug,
      environment: q.environment,
      secretKey: secretName,
    });
    res.json(
      await getSecret(ctx, caller, {
        environment: q.environment,
        secretPath: q.secretPath,
        secretName,
        type: q.type,
        version: q.version,
        viewSecretValue: q.viewSecretValue,
        expandSecretReferences: q.expandSecretReferences,
        includeImports: q.include_imports,
      }),
    );
  });

  router.post('/api/v3/secrets/raw/:secretName', auth, async (req, res) => {
    const { secretName } = parseParams(req, secretNameParams);
    const { workspaceId, projectSlug, ...body } = parseBody(req, createSecretBody);
    const caller = await callerFor(ctx, req, {
      projectId: workspaceId,
      projectSlug,
      environment: body.environment,
    });
    res.json(await createSecret(ctx, caller, { ...body, secretName }));
  });

  router.patch('/api/v3/secrets/raw/:secretName', auth, async (req, res) => {
    const { secretName } = parseParams(req, secretNameParams);
    const { workspaceId, projectSlug, ...body } = parseBody(req, updateSecretBody);
    const caller = await callerFor(ctx, req, {
      projectId: workspaceId,
      projectSlug,
      environment: body.environment,
    });
    res.json(await updateSecret(ctx, caller, { ...body, secretName }));
  });

  router.delete('/api/v3/secrets/raw/:secretName', auth, async (req, res) => {
    const { secretName } = parseParams(req, secretNameParams);
    const { workspaceId, projectSlug, ...body } = parseBody(req, deleteSecretBody);
    const caller = await callerFor(ctx, req, {
      projectId: workspaceId,
      projectSlug,
      environment: body.environment,
    });
    res.json(await deleteSecret(ctx, caller, { ...body, secretName }));
  });

  router.post('/api/v3/secrets/batch/raw', auth, async (req, res) => {
    const { workspaceId, projectSlug, ...body } = parseBody(req, batchCreateBody);
    const caller = await callerFor(ctx, req, {
      projectId: workspaceId,
      projectSlug,
      environment: body.environment,
    });
    res.json(await createSecretsBatch(ctx, caller, body));
  });

  router.patch('/api/v3/secrets/batch/raw', auth, async (req, res) => {
    const { workspaceId, projectSlug, ...body } = parseBody(req, batchUpdateBody);
    const caller = await callerFor(ctx, req, {
      projectId: workspaceId,
      projectSlug,
      environment: body.environment,
    });
    res.json(await updateSecretsBatch(ctx, caller, body));
  });

  router.delete('/api/v3/secrets/batch/raw', auth, async (req, res) => {
    const { workspaceId, projectSlug, ...body } = parseBody(req, batchDeleteBody);
    const caller = await callerFor(ctx, req, {
      projectId: workspaceId,
      projectSlug,
      environment: body.environment,
    });
    res.json(await deleteSecretsBatch(ctx, caller, body));
  });

  return router;
}

/** The routes above, as the OpenAPI document describes them (src/openapi/route-doc.ts). */
export const secretsRouteDocs = routeDocs('Secrets', [
  {
    method: 'get',
    path: '/api/v3/secrets/raw',
    summary: 'List the secrets of a folder (with `ETag`; a matching `If-None-Match` answers 304)',
    query: listSecretsQuery,
    deviation:
      'D5 (imports are never merged into `secrets`), D7 (references expanded only on request), D9 (ETag), D12 (masked value text), D21 (an incomplete `metadataFilter` pair is 422).',
  },
  {
    method: 'get',
    path: '/api/v3/secrets/raw/:secretName',
    summary: 'Read one secret, or one of its versions with `version`',
    params: secretNameParams,
    query: getSecretQuery,
    deviation: 'D5 (with imports: the local secret, then imports from the last to the first), M5 (versions).',
  },
  {
    method: 'post',
    path: '/api/v3/secrets/raw/:secretName',
    summary: 'Create a secret',
    params: secretNameParams,
    body: createSecretBody,
    deviation:
      'D14 (a machine identity cannot write a personal secret: 400), D21 (`secretValue` may be left out: an empty value).',
  },
  {
    method: 'patch',
    path: '/api/v3/secrets/raw/:secretName',
    summary: 'Update a secret (value, comment, name, tags, metadata)',
    params: secretNameParams,
    body: updateSecretBody,
    deviation: 'D21 (a secret a secret rotation writes cannot be updated by hand: 400 naming the rotation).',
  },
  {
    method: 'delete',
    path: '/api/v3/secrets/raw/:secretName',
    summary: 'Delete a secret',
    params: secretNameParams,
    body: deleteSecretBody,
    deviation: 'D21 (a secret a secret rotation writes cannot be deleted by hand: 400 naming the rotation).',
  },
  {
    method: 'post',
    path: '/api/v3/secrets/batch/raw',
    summary: 'Create several secrets, all or nothing',
    body: batchCreateBody,
  },
  {
    method: 'patch',
    path: '/api/v3/secrets/batch/raw',
    summary: 'Update several secrets (`mode`: failOnNotFound, upsert, ignore), all or nothing',
    body: batchUpdateBody,
    deviation: 'D21 (secrets a secret rotation writes are refused: 400 naming the rotation).',
  },
  {
    method: 'delete',
    path: '/api/v3/secrets/batch/raw',
    summary: 'Delete several secrets, all or nothing',
    body: batchDeleteBody,
    deviation: 'D21 (secrets a secret rotation writes are refused: 400 naming the rotation).',
  },
]);
