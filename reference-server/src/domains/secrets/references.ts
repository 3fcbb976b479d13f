/**
 * Secret references (`${KEY}`, `${env.path.KEY}`): parsing, expansion to a depth limit, and
 * rewriting on rename. Values are expanded in memory only.
 */
import { ApiError, forbidden } from '../../http/errors.js';
import { MAX_SECRET_VALUE_LENGTH } from './schemas.js';

/** `${KEY}` or `${env.folder.sub.KEY}`; the characters upstream allows inside the braces. */
const REFERENCE = /\$\{([a-zA-Z0-9_.-]+)\}/g;

/** Upstream's `MAX_SECRET_REFERENCE_DEPTH`. */
export const MAX_REFERENCE_DEPTH = 10;

/** References one value may hold (counted per value, at every depth); more and the read is refused. */
export const MAX_REFERENCES_PER_VALUE = 256;

/** An expanded value may be no longer than a stored one (characters). */
export const MAX_EXPANDED_VALUE_LENGTH = MAX_SECRET_VALUE_LENGTH;

/**
 * What one response may spend on expansion: characters built (final and intermediate values)
 * and references resolved. Bounds the body and the CPU of a list whatever the folder holds.
 */
export const MAX_EXPANSION_PER_RESPONSE = { characters: 16 * 1024 * 1024, references: 20_000 };

/**
 * A read refused because expanding a secret's references would exceed a limit
 * (docs/reference/secret-references.md). `perSecret` limits concern that secret alone, so a list
 * leaves its value as written instead of refusing the folder; the per-response budget does not.
 */
export class ReferenceLimitError extends ApiError {
  constructor(
    readonly secretKey: string,
    reason: string,
    readonly perSecret: boolean,
  ) {
    super(
      400,
      'SecretReferenceLimitExceeded',
      `Cannot expand the references of secret '${secretKey}': ${reason}; read it with expandSecretReferences=false`,
      { details: { secretKey } },
    );
  }
}

/** Thrown inside the walk; {@link ReferenceExpander.expand} names the secret that was read. */
class LimitReached extends Error {
  constructor(
    readonly reason: string,
    readonly perSecret: boolean,
  ) {
    super(reason);
  }
}

/** Where a reference points. */
export interface ReferenceTarget {
  envSlug: string;
  path: string;
  key: string;
}

/**
 * Resolves a reference body relative to the secret that contains it: `KEY` is the same
 * environment and folder, `env.KEY` the root of `env`, `env.a.b.KEY` the folder `/a/b`.
 */
export function parseReference(body: string, envSlug: string, path: string): ReferenceTarget | undefined {
  const parts = body.split('.');
  if (parts.some((p) => p === '')) return undefined;
  if (parts.length === 1) return { envSlug, path, key: body };
  const segments = parts.slice(1, -1);
  return { envSlug: parts[0]!, path: segments.length ? `/${segments.join('/')}` : '/', key: parts.at(-1)! };
}

/** The shared secrets of one folder, as plaintext values. */
export type FolderValues = Map<string, string>;

export interface ReferenceExpanderOptions {
  /** Plaintext values of a folder, or undefined when the environment or folder does not exist. */
  loadFolder(envSlug: string, path: string): Promise<FolderValues | undefined>;
  /** Whether the caller may read this referenced value. */
  canRead(target: ReferenceTarget): boolean;
}

/**
 * Expands references: nested up to {@link MAX_REFERENCE_DEPTH}, each chain cycle-safe, unknown
 * references left literal, replacement text inserted literally. Folder loads are cached per instance.
 */
export class ReferenceExpander {
  private readonly folders = new Map<string, Promise<FolderValues | undefined>>();
  private readonly denied: string[] = [];
  /** Spent from {@link MAX_EXPANSION_PER_RESPONSE} by every value this instance expanded. */
  private readonly spent = { characters: 0, references: 0 };

  constructor(private readonly options: ReferenceExpanderOptions) {}

  /** Expands the value of `key` in `envSlug` at `path`; throws 403 when a reference is not readable. */
  async expand(value: string, envSlug: string, path: string, key: string): Promise<string> {
    let result: string;
    try {
      result = await this.expandIn(value, envSlug, path, 0, new Set([`${envSlug}:${path}:${key}`]));
    } catch (error) {
      if (error instanceof LimitReached) throw new ReferenceLimitError(key, error.reason, error.perSecret);
      throw error;
    }
    if (this.denied.length > 0) {
      throw forbidden('Failed to expand one or more secret references', {
        details: [...new Set(this.denied)],
      });
    }
    return result;
  }

  private folder(envSlug: string, path: string) {
    const id = `${envSlug}:${path}`;
    let loaded = this.folders.get(id);
    if (!loaded) {
      loaded = this.options.loadFolder(envSlug, path);
      this.folders.set(id, loaded);
    }
    return loaded;
  }

  private async expandIn(value: string, envSlug: string, path: string, depth: number, chain: Set<string>) {
    if (!value.includes('${') || depth >= MAX_REFERENCE_DEPTH) return value;
    const matches = [...value.matchAll(REFERENCE)];
    if (matches.length > MAX_REFERENCES_PER_VALUE)
      throw new LimitReached(
        `a value holds ${matches.length} references (at most ${MAX_REFERENCES_PER_VALUE})`,
        true,
      );
    const replacements = new Map<string, string>();
    for (const [, body] of matches) {
      if (body === undefined || replacements.has(body)) continue;
      const target = parseReference(body, envSlug, path);
      if (!target) continue;
      const id = `${target.envSlug}:${target.path}:${target.key}`;
      if (chain.has(id)) continue; // a cycle: leave this reference as written
      const raw = (await this.folder(target.envSlug, target.path))?.get(target.key);
      if (raw === undefined) continue; // unknown: left literal
      if (!this.options.canRead(target)) {
        this.denied.push(
          `You do not have permission to read secret '${target.key}' at path '${target.path}' in environment '${target.envSlug}'`,
        );
        continue;
      }
      if (++this.spent.references > MAX_EXPANSION_PER_RESPONSE.references)
        throw new LimitReached(
          `the response resolves more than ${MAX_EXPANSION_PER_RESPONSE.references} references`,
          false,
        );
      const nested = await this.expandIn(
        raw,
        target.envSlug,
        target.path,
        depth + 1,
        new Set([...chain, id]),
      );
      replacements.set(body, nested);
    }
    if (replacements.size === 0) return value;
    // The length is known before the string is built: an amplifying value is refused unallocated.
    let length = value.length;
    for (const [match, body] of matches) {
      const replacement = body === undefined ? undefined : replacements.get(body);
      if (replacement !== undefined) length += replacement.length - match.length;
    }
    if (length > MAX_EXPANDED_VALUE_LENGTH)
      throw new LimitReached(
        `the expanded value would be ${length} characters (at most ${MAX_EXPANDED_VALUE_LENGTH})`,
        true,
      );
    this.spent.characters += length;
    if (this.spent.characters > MAX_EXPANSION_PER_RESPONSE.characters)
      throw new LimitReached(
        `the response's expanded values exceed ${MAX_EXPANSION_PER_RESPONSE.characters} characters`,
        false,
      );
    return value.replace(REFERENCE, (match, body: string) => replacements.get(body) ?? match);
  }
}

/** One key rename, for rewriting the references that point at it. */
export interface KeyRename {
  envSlug: string;
  path: string;
  oldKey: string;
  newKey: string;
}

/**
 * Rewrites references to renamed keys in a value owned by a secret in `envSlug` at `path`:
 * `${OLD}` from the same folder and `${env.path.OLD}` from anywhere keep their form.
 */
export function rewriteReferences(
  value: string,
  envSlug: string,
  path: string,
  renames: KeyRename[],
): string {
  if (!value.includes('${') || renames.length === 0) return value;
  return value.replace(REFERENCE, (match, body: string) => {
    const target = parseReference(body, envSlug, path);
    if (!target) return match;
    const rename = renames.find(
      (r) => r.envSlug === target.envSlug && r.path === target.path && r.oldKey === target.key,
    );
    if (!rename) return match;
    const parts = body.split('.');
    parts[parts.length - 1] = rename.newKey;
    return `\${${parts.join('.')}}`;
  });
}

/** Upstream's `formatMultiValueEnv`: a multi-line value in double quotes with `\n` escapes. */
export const formatMultilineValue = (value: string) =>
  value.includes('\n') ? `"${value.replace(/\n/g, '\\n')}"` : value;
