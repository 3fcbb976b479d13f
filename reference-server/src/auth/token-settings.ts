/**
 * The access-token settings every auth method shares (TTL, max TTL, uses, trusted IPs): their
 * schemas, defaults and the TTL rule. Pure functions; no store and no HTTP.
 */
import { z } from 'zod';
import { ttlSchema } from '../shared/schemas.js';
import { badRequest } from '../http/errors.js';
import { ALL_IPS, parseTrustedIp } from '../http/ip-match.js';
import type { AccessTokenSettings, TrustedIp } from '../store/records.js';

/** Most trusted-IP ranges one auth method may list; each request checks all of them. */
export const MAX_TRUSTED_IPS = 100;

/** `[{ ipAddress: "10.0.0.0/8" }]` → stored `{ipAddress, type, prefix}`; invalid → 422 naming the entry. */
export const trustedIpsSchema = z
  .array(z.object({ ipAddress: z.string().trim().max(64) }))
  .min(1)
  .max(MAX_TRUSTED_IPS, `At most ${MAX_TRUSTED_IPS} trusted IP ranges are allowed`)
  .transform((list, ctx) => {
    const parsed: TrustedIp[] = [];
    for (const [i, entry] of list.entries()) {
      const ip = parseTrustedIp(entry.ipAddress);
      if (!ip) {
        ctx.addIssue({
          code: 'custom',
          message: 'The IP is not a valid IPv4, IPv6, or CIDR block',
          path: [i, 'ipAddress'],
        });
        return z.NEVER;
      }
      parsed.push(ip);
    }
    return parsed;
  });

/** Token settings shared by every auth method, all optional (PATCH); defaults applied on attach. */
export const tokenSettingsFields = {
  accessTokenTTL: ttlSchema.optional(),
  accessTokenMaxTTL: ttlSchema.optional(),
  accessTokenNumUsesLimit: z.number().int().min(0).optional(),
  accessTokenPeriod: z.number().int().min(0).max(315360000).optional(),
  accessTokenTrustedIps: trustedIpsSchema.optional(),
};

/** The API's attach defaults (docs/reference/api.md, decision D4): 30 days, unlimited uses, any IP. */
export const DEFAULT_TOKEN_SETTINGS: AccessTokenSettings = {
  accessTokenTTL: 2592000,
  accessTokenMaxTTL: 2592000,
  accessTokenNumUsesLimit: 0,
  accessTokenPeriod: 0,
  accessTokenTrustedIps: ALL_IPS,
};

/** TTL must not exceed max TTL when both are limited (0 = unlimited). */
export const ttlWithinMax = (s: {
  accessTokenTTL?: number | undefined;
  accessTokenMaxTTL?: number | undefined;
}) =>
  s.accessTokenTTL === undefined ||
  s.accessTokenMaxTTL === undefined ||
  s.accessTokenMaxTTL === 0 ||
  s.accessTokenTTL <= s.accessTokenMaxTTL;

export const TTL_ABOVE_MAX_MESSAGE = 'Access Token TTL cannot be greater than Access Token Max TTL.';

/** Drops keys whose value is undefined, so a PATCH only changes what it names. */
export function definedOnly<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/**
 * An auth method with a PATCH body applied: only the fields the body names change, and a TTL above the
 * max TTL (compared with the stored value when the body names one side only) is refused with a 400.
 */
export function patchAuthMethod<M extends { config: object; updatedAt: string }>(
  method: M,
  body: object,
  now: number,
): M {
  const updated = {
    ...method,
    config: { ...method.config, ...definedOnly(body) },
    updatedAt: new Date(now).toISOString(),
  };
  if (!ttlWithinMax(updated.config)) throw badRequest('Access token TTL cannot be greater than max TTL');
  return updated;
}
