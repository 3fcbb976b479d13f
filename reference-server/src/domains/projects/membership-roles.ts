/**
 * Membership roles as a body names them (permanent or temporary) and as stored. Parsing and
 * conversion only; granting rules are membership-service.ts.
 */
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { BUILT_IN_PROJECT_ROLES } from '../../auth/permissions.js';
import { badRequest, notFound } from '../../http/errors.js';
import type { MembershipRoleRecord } from '../../store/records.js';

const DURATION_UNITS: Record<string, number> = {
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 604_800_000,
};

/** The longest temporary access a role may be granted for: ten years. */
export const MAX_TEMPORARY_RANGE_MS = 10 * 365 * 86_400_000;

/** Most roles one membership may hold (4 built-in roles, each permanent or temporary). */
export const MAX_MEMBERSHIP_ROLES = 16;

/**
 * `ms`-style durations (`"30m"`, `"1h"`, `"7d"`) in milliseconds; undefined when malformed,
 * zero, or longer than {@link MAX_TEMPORARY_RANGE_MS} (so an end date always exists).
 */
export function parseDuration(range: string): number | undefined {
  const match = /^(\d{1,12})\s*([smhdw])$/.exec(range.trim());
  if (!match) return undefined;
  const value = Number(match[1]) * DURATION_UNITS[match[2]!]!;
  return value > 0 && value <= MAX_TEMPORARY_RANGE_MS ? value : undefined;
}

export const roleInputSchema = z.union([
  z.object({ role: z.string().trim().min(1), isTemporary: z.literal(false).default(false) }),
  z.object({
    role: z.string().trim().min(1),
    isTemporary: z.literal(true),
    temporaryMode: z.literal('relative'),
    temporaryRange: z.string().trim().min(1).max(32),
    temporaryAccessStartTime: z.iso.datetime(),
  }),
]);
export type RoleInput = z.output<typeof roleInputSchema>;

/** Validates a role set and turns it into rows (docs/reference/api.md#memberships-and-roles). */
export function toRoleRecords(roles: RoleInput[], nowIso: string): MembershipRoleRecord[] {
  if (!roles.some((r) => !r.isTemporary)) throw badRequest('Identity must have at least one permanent role');
  return roles.map((r) => {
    if (!BUILT_IN_PROJECT_ROLES.includes(r.role)) throw notFound('One or more custom roles not found');
    if (!r.isTemporary) {
      return {
        id: randomUUID(),
        role: r.role,
        isTemporary: false,
        temporaryMode: null,
        temporaryRange: null,
        temporaryAccessStartTime: null,
        temporaryAccessEndTime: null,
        createdAt: nowIso,
        updatedAt: nowIso,
      };
    }
    const rangeMs = parseDuration(r.temporaryRange);
    if (!rangeMs)
      throw badRequest(
        'Temporary role range must be a duration such as 30m, 12h or 7d, greater than zero and at most ten years',
      );
    return {
      id: randomUUID(),
      role: r.role,
      isTemporary: true,
      temporaryMode: 'relative',
      temporaryRange: r.temporaryRange,
      temporaryAccessStartTime: r.temporaryAccessStartTime,
      temporaryAccessEndTime: new Date(Date.parse(r.temporaryAccessStartTime) + rangeMs).toISOString(),
      createdAt: nowIso,
      updatedAt: nowIso,
    };
  });
}
