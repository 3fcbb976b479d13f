/**
 * Webhook routes (`/api/v1/webhooks`): parse, call webhook-service.ts, shape the answer; never
 * touches the store. A webhook's secret key is never returned.
 */
import { type Request, Router } from 'express';
import { requireAuth } from '../../auth/require-auth.js';
import type { ServerContext } from '../../context.js';
import { parseBody, parseParams, parseQuery } from '../../http/validate.js';
import { routeDocs } from '../../openapi/route-doc.js';
import { callerFor, callerForProjectId } from '../secrets/caller.js';
import {
  createWebhookBody,
  listWebhooksQuery,
  updateWebhookBody,
  webhookIdParams,
} from './webhook-schemas.js';
import {
  createWebhook,
  deleteWebhook,
  listWebhooks,
  projectOfWebhook,
  testWebhook,
  updateWebhook,
} from './webhook-service.js';

/** Project webhooks, upstream's `/api/v1/webhooks` (docs/webhooks.md, docs/reference/api.md). */
export function webhooksRouter(ctx: ServerContext): Router {
  const router = Router();
  router.use('/api/v1/webhooks', requireAuth(ctx));

  /** The caller of a route naming a webhook: its project's access (a webhook of another org is 404). */
  const callerOfWebhook = async (req: Request) => {
    const { webhookId } = parseParams(req, webhookIdParams);
    return { webhookId, caller: await callerForProjectId(ctx, req, await projectOfWebhook(ctx, webhookId)) };
  };

  router.post('/api/v1/webhooks', async (req, res) => {
    const { projectId, type: _general, ...body } = parseBody(req, createWebhookBody);
    const caller = await callerFor(ctx, req, { projectId });
    const webhook = await createWebhook(ctx, caller, body);
    res.json({ message: 'Successfully created webhook', webhook });
  });

  router.get('/api/v1/webhooks', async (req, res) => {
    const { projectId, ...query } = parseQuery(req, listWebhooksQuery);
    const caller = await callerFor(ctx, req, { projectId });
    res.json({ message: 'Successfully fetched webhook', webhooks: await listWebhooks(ctx, caller, query) });
  });

  router.patch('/api/v1/webhooks/:webhookId', async (req, res) => {
    const body = parseBody(req, updateWebhookBody);
    const { webhookId, caller } = await callerOfWebhook(req);
    const webhook = await updateWebhook(ctx, caller, { webhookId, ...body });
    res.json({ message: 'Successfully updated webhook', webhook });
  });

  router.delete('/api/v1/webhooks/:webhookId', async (req, res) => {
    const { webhookId, caller } = await callerOfWebhook(req);
    res.json({
      message: 'Successfully deleted webhook',
      webhook: await deleteWebhook(ctx, caller, { webhookId }),
    });
  });

  router.post('/api/v1/webhooks/:webhookId/test', async (req, res) => {
    const { webhookId, caller } = await callerOfWebhook(req);
    res.json({
      message: 'Successfully tested webhook',
      webhook: await testWebhook(ctx, caller, { webhookId }),
    });
  });

  return router;
}

/** The routes above, as the OpenAPI document describes them (src/openapi/route-doc.ts). */
export const webhooksRouteDocs = routeDocs('Webhooks', [
  {
    method: 'post',
    path: '/api/v1/webhooks',
    summary: 'Create a webhook (URL and key sealed at rest)',
    body: createWebhookBody,
  },
  {
    method: 'get',
    path: '/api/v1/webhooks',
    summary: 'List the webhooks of a project',
    query: listWebhooksQuery,
  },
  {
    method: 'patch',
    path: '/api/v1/webhooks/:webhookId',
    summary: 'Enable, disable or re-scope a webhook',
    params: webhookIdParams,
    body: updateWebhookBody,
  },
  {
    method: 'delete',
    path: '/api/v1/webhooks/:webhookId',
    summary: 'Delete a webhook',
    params: webhookIdParams,
  },
  {
    method: 'post',
    path: '/api/v1/webhooks/:webhookId/test',
    summary: 'Send a test delivery and record its status',
    params: webhookIdParams,
  },
]);
