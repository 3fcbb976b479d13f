/**
 * Secret paths and folder names: validation and normalisation. Pure functions.
 */
import { z } from 'zod';

/** Upstream's folder-name rule. */
export const FOLDER_NAME_PATTERN = /^[a-zA-Z0-9-_]+$/;

/** Longest secret path accepted (characters). */
export const MAX_PATH_LENGTH = 1024;

// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are exactly what is refused
const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f]/;

/**
 * Normalises a folder path as upstream does (leading slash added, trailing slash removed)
 * and refuses what could only be a mistake or an attack: control characters, empty
 * segments (`//`) and `.`/`..` segments. Returns undefined when the path is refused.
 */
export function normalizeSecretPath(raw: string): string | undefined {
  const trimmed = raw.trim();
  if (CONTROL_CHARACTERS.test(trimmed) || trimmed.includes('\\')) return undefined;
  let path = trimmed.startsWith('/') ? trimmed : `/${trimmed}`;
  if (path.length > 1 && path.endsWith('/')) path = path.slice(0, -1);
  if (path === '/') return path;
  const segments = path.slice(1).split('/');
  if (segments.some((s) => s === '' || s === '.' || s === '..')) return undefined;
  return path;
}

/** The segments of a normalised path (`/` has none). */
export const pathSegments = (path: string) => (path === '/' ? [] : path.slice(1).split('/'));

/** Joins a parent path and a child name. */
export const joinPath = (parent: string, name: string) => (parent === '/' ? `/${name}` : `${parent}/${name}`);

/** A zod schema for a secret/folder path: normalised, or a 422 naming the rule. */
export const secretPathSchema = z
  .string()
  .max(MAX_PATH_LENGTH, `Secret path must be at most ${MAX_PATH_LENGTH} characters`)
  .transform((raw, ctx) => {
    const path = normalizeSecretPath(raw);
    if (path === undefined) {
      ctx.addIssue({
        code: 'custom',
        message:
          "Invalid secret path: empty segments ('//'), '.' or '..' segments and control characters are not allowed",
      });
      return z.NEVER;
    }
    return path;
  });
