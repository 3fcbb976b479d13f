/**
 * The change-notice stream route (server-sent events): authenticates, parses the scope and hands
 * the connection to change-stream.ts. Notices name places, never values.
 */
import { Router } from 'express';
import { z } from 'zod';
import { requireAuth } from '../../auth/require-auth.js';
import { authOf, type ServerContext } from '../../context.js';
import { parseQuery, parseWith } from '../../http/validate.js';
import { routeDocs } from '../../openapi/route-doc.js';
import { environmentSlugSchema } from '../../shared/schemas.js';
import { callerFor } from '../secrets/caller.js';
import { environmentBySlug } from '../secrets/folder-tree.js';
import { secretPathSchema } from '../secrets/paths.js';
import { ChangeStreams } from './change-stream.js';

/** The stream route's path (docs/change-delivery.md). */
export const CHANGE_STREAM_PATH = '/api/v1/change-notices/stream';

const streamQuery = z
  .object({
    projectId: z.string().trim().min(1).optional(),
    workspaceId: z.string().trim().min(1).optional(),
    projectSlug: z.string().trim().min(1).optional(),
    environment: environmentSlugSchema.optional(),
    secretPath: secretPathSchema.optional(),
    recursive: z.enum(['true', 'false']).default('false'),
    lastEventId: z.string().optional(),
  })
  .refine((q) => q.projectId !== undefined || q.workspaceId !== undefined || q.projectSlug !== undefined, {
    message: 'projectId (or workspaceId, or projectSlug) is required',
    path: ['projectId'],
  });

/** `Last-Event-ID` (or `lastEventId`): the id of the last notice the client saw. */
const lastEventIdSchema = z.coerce.number().int().min(0).max(Number.MAX_SAFE_INTEGER);

/** The change-notice stream: server-sent events, one stream per request. */
export function changesRouter(ctx: ServerContext): Router {
  const router = Router();
  const streams = new ChangeStreams(ctx);
  ctx.changes.subscribe(streams);

  router.get(CHANGE_STREAM_PATH, requireAuth(ctx), async (req, res) => {
    const q = parseQuery(req, streamQuery);
    const rawLast = req.get('last-event-id') ?? q.lastEventId;
    const lastEventId =
      rawLast === undefined || rawLast === ''
        ? undefined
        : parseWith(lastEventIdSchema, rawLast, 'lastEventId');
    const caller = await callerFor(ctx, req, {
      projectId: q.projectId ?? q.workspaceId,
      projectSlug: q.projectSlug,
    });
    caller.access.assert('read', 'secrets');
    const { project } = caller.access;
    if (q.environment) await environmentBySlug(ctx, project, q.environment);
    const scope = {
      project,
      environment: q.environment,
      secretPath: q.secretPath,
      recursive: q.recursive === 'true',
    };
    await caller.audit({
      type: 'subscribe-secret-changes',
      metadata: {
        environment: q.environment ?? null,
        secretPath: q.secretPath ?? null,
        recursive: scope.recursive,
      },
    });
    await streams.open(res, authOf(req), scope, lastEventId);
  });

  return router;
}

/** The route above, as the OpenAPI document describes it (src/openapi/route-doc.ts). */
export const changesRouteDocs = routeDocs('Change Notices', [
  {
    method: 'get',
    path: CHANGE_STREAM_PATH,
    summary: 'Stream change notices (text/event-stream; resume with Last-Event-ID)',
    query: streamQuery,
    deviation: 'Not an upstream route: the push channel of docs/change-delivery.md.',
  },
]);
