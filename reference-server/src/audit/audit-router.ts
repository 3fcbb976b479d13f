/**
 * `GET /api/v1/audit-logs` (and the organization alias): filters parsed, audit-service.ts called,
 * entries shaped as upstream's rows. Never touches the store; reads only, it never writes an entry.
 */
import { Router } from 'express';
import { z } from 'zod';
import { requireAuth } from '../auth/require-auth.js';
import type { ServerContext } from '../context.js';
import { parseQuery } from '../http/validate.js';
import { routeDocs } from '../openapi/route-doc.js';
import { orgCallerFor } from '../shared/callers.js';
import type { AuditRecord } from '../store/records.js';
import { queryAuditLogs } from './audit-service.js';

const METADATA_KEY = '[A-Za-z_][A-Za-z0-9_]{0,63}(?:\\.[A-Za-z_][A-Za-z0-9_]{0,63}){0,7}';
const METADATA_PAIR = `${METADATA_KEY}=[^,]*`;

const auditQuery = z
  .object({
    projectId: z.string().trim().min(1).optional(),
    environment: z.string().trim().min(1).optional(),
    actorType: z.enum(['identity', 'user', 'service', 'unknownUser', 'operator', 'platform']).optional(),
    actor: z.string().trim().min(1).optional(),
    secretPath: z
      .string()
      .trim()
      .min(1)
      .transform((p) => (p.length > 1 ? p.replace(/\/+$/, '') : p))
      .optional(),
    secretKey: z.string().trim().min(1).optional(),
    eventType: z
      .string()
      .trim()
      .min(1)
      .transform((s) =>
        s
          .split(',')
          .map((t) => t.trim())
          .filter(Boolean),
      )
      .optional(),
    userAgentType: z.string().trim().min(1).optional(),
    // Keys become JSON paths in the query, so only dotted identifiers are accepted.
    eventMetadata: z
      .string()
      .trim()
      .max(2048)
      .regex(
        new RegExp(`^${METADATA_PAIR}(,${METADATA_PAIR}){0,9}$`),
        'eventMetadata must be up to 10 key=value pairs separated by commas; keys are dotted names (a.b_c)',
      )
      .transform((s) =>
        Object.fromEntries(
          s.split(',').map((pair) => {
            const at = pair.indexOf('=');
            return [pair.slice(0, at), pair.slice(at + 1)] as [string, string];
          }),
        ),
      )
      .optional(),
    startDate: z.iso.datetime().optional(),
    endDate: z.iso.datetime().optional(),
    offset: z.coerce.number().int().min(0).default(0),
    limit: z.coerce.number().int().min(1).max(1000).default(20),
  })
  // Upstream's rules and words (organization-router.ts, the audit-logs route): the end is not before
  // the start and at most three calendar months after it.
  .superRefine((q, issues) => {
    if (!q.startDate || !q.endDate) return;
    const start = new Date(q.startDate);
    const end = new Date(q.endDate);
    const latest = new Date(start);
    latest.setUTCMonth(latest.getUTCMonth() + 3);
    if (end < start) {
      issues.addIssue({ code: 'custom', path: ['endDate'], message: 'End date cannot be before start date' });
    }
    if (end > latest) {
      issues.addIssue({ code: 'custom', path: ['endDate'], message: 'Dates must be within 3 months' });
    }
  });

/** The audit entry as the API returns it (upstream row shape). */
function auditView(e: AuditRecord) {
  return {
    id: e.id,
    ipAddress: e.ipAddress,
    userAgent: e.userAgent,
    userAgentType: e.userAgentType,
    expiresAt: e.expiresAt,
    createdAt: e.createdAt,
    updatedAt: e.createdAt,
    orgId: e.orgId,
    projectId: e.projectId,
    projectName: e.projectName,
    event: { type: e.eventType, metadata: e.eventMetadata },
    actor: { type: e.actorType, metadata: e.actorMetadata },
  };
}

/** Audit-log queries at `/api/v1/audit-logs` and at Infisical's `/api/v1/organization/audit-logs` (docs/reference/api.md, decision D8). */
export function auditRouter(ctx: ServerContext): Router {
  const router = Router();
  const paths = ['/api/v1/audit-logs', '/api/v1/organization/audit-logs'];
  router.get(paths, requireAuth(ctx), async (req, res) => {
    const q = parseQuery(req, auditQuery);
    const entries = await queryAuditLogs(ctx, orgCallerFor(ctx, req), {
      projectId: q.projectId,
      environment: q.environment,
      actorType: q.actorType,
      actorId: q.actor,
      eventTypes: q.eventType,
      userAgentType: q.userAgentType,
      secretPath: q.secretPath,
      secretKey: q.secretKey,
      eventMetadata: q.eventMetadata,
      startDate: q.startDate,
      endDate: q.endDate,
      offset: q.offset,
      limit: q.limit,
    });
    res.json({ auditLogs: entries.map(auditView) });
  });
  return router;
}

/** The route above, as the OpenAPI document describes it (src/openapi/route-doc.ts). */
export const auditRouteDocs = routeDocs('Audit Logs', [
  {
    method: 'get',
    path: ['/api/v1/audit-logs', '/api/v1/organization/audit-logs'],
    summary: 'Query the audit log',
    query: auditQuery,
    deviation:
      'D8 (always persisted, also at /api/v1/audit-logs), D20 (no date given: the whole kept log; reading is not itself audited; lenient event and user-agent filters).',
  },
]);
