/**
 * Schemas several routers share (slugs, environment slugs, UUIDs, TTLs) and slug generation.
 * Validation only.
 */
import { z } from 'zod';

/** Slugs as upstream validates them: lower-case letters, digits and single hyphens. */
export const slugSchema = (min: number, max: number) =>
  z
    .string()
    .trim()
    .min(min, `Slug field must be at least ${min} lowercase characters`)
    .max(max, `Slug field must be at most ${max} lowercase characters`)
    .regex(
      /^[a-z0-9]+(?:-[a-z0-9]+)*$/,
      'Slug field can only contain lowercase letters, numbers, and hyphens',
    );

/** Environment slugs: lower-case letters and digits, single `-` or `_` between them. */
export const environmentSlugSchema = z
  .string()
  .trim()
  .min(1)
  .max(64)
  .regex(
    /^[a-z0-9]+(?:[-_][a-z0-9]+)*$/,
    'Slug field can only contain lowercase letters, numbers, and hyphens',
  );

/** A UUID path or body parameter. */
export const uuidSchema = z.uuid();

/** Lower-case slug of a display name, for generated slugs. */
export function slugify(name: string): string {
  return name
    .toLowerCase()
    .normalize('NFKD')
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 30);
}

/** `name-xxxx` with four random alphanumerics, as upstream generates org and project slugs. */
export function randomSlug(name: string): string {
  const alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789';
  const bytes = crypto.getRandomValues(new Uint8Array(4));
  const suffix = Array.from(bytes, (b) => alphabet[b % alphabet.length]).join('');
  const base = slugify(name) || 'project';
  return `${base}-${suffix}`;
}

/** Integer seconds for TTL fields (0 … 10 years). */
export const ttlSchema = z.number().int().min(0).max(315360000);
