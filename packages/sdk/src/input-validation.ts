/**
 * Turns zod issues into the SDK's typed errors. Messages name the field and the expectation, never
 * the received value (which could be a secret).
 *
 * @module
 */
import * as z from 'zod/mini';
import { closestName } from './closest-name.js';
import { KmsConfigError, KmsValidationError } from './errors.js';

type Issue = z.core.$ZodIssue;

function describe(issue: Issue, knownKeys: readonly string[] = []): string {
  switch (issue.code) {
    case 'invalid_type':
      return `expected ${issue.expected}`;
    case 'too_small':
      return issue.origin === 'string' ? 'must not be empty' : `must be at least ${String(issue.minimum)}`;
    case 'too_big':
      return `must be at most ${String(issue.maximum)}`;
    case 'invalid_format':
      return `must be a valid ${issue.format}`;
    case 'unrecognized_keys': {
      const hint = closestName(String(issue.keys[0] ?? ''), knownKeys);
      return hint ? `unknown option (did you mean ${hint}?)` : 'unknown option';
    }
    case 'invalid_value':
      return `expected one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}`;
    case 'invalid_union':
      return 'does not match any accepted shape';
    default:
      return issue.message && issue.message !== 'Invalid input' ? issue.message : 'is invalid';
  }
}

function fieldOf(issue: Issue, root: string): string {
  const path = issue.path.map(String);
  if (issue.code === 'unrecognized_keys') path.push(issue.keys[0] ?? '');
  const joined = path.join('.');
  return root ? (joined ? `${root}.${joined}` : root) : joined || 'options';
}

type WrapperDef = { innerType?: z.core.$ZodType; options?: z.core.$ZodType[] };

/** The option names of the object schema at `path` inside `schema` (through optionals), for hints. */
function keysAt(schema: z.core.$ZodType, path: readonly PropertyKey[]): string[] {
  let current: z.core.$ZodType | undefined = schema;
  for (const step of [undefined, ...path]) {
    if (step !== undefined) {
      const fields: Record<string, z.core.$ZodType> | undefined = (
        current?._zod.def as { shape?: Record<string, z.core.$ZodType> } | undefined
      )?.shape;
      current = fields?.[String(step)];
    }
    // Through optionals and unions (`retry: false | {...}`) to the object that owns the keys.
    for (let def = current?._zod.def as WrapperDef | undefined; def; def = current?._zod.def as WrapperDef) {
      const next: z.core.$ZodType | undefined =
        def.innerType ?? def.options?.find((option) => 'shape' in option._zod.def);
      if (!next) break;
      current = next;
    }
  }
  const shape = (current?._zod.def as { shape?: Record<string, unknown> } | undefined)?.shape;
  return shape ? Object.keys(shape) : [];
}

/** For a union, the issue of the branch that got furthest (the one the caller most likely meant). */
function pickIssue(issue: Issue): Issue {
  if (issue.code !== 'invalid_union' || issue.errors.length === 0) return issue;
  let best: Issue | undefined;
  let bestScore = -1;
  for (const branch of issue.errors) {
    const first = branch[0];
    if (!first) continue;
    const score = first.code === 'unrecognized_keys' && first.path.length === 0 ? 0 : first.path.length + 1;
    if (score > bestScore) {
      best = first;
      bestScore = score;
    }
  }
  if (!best || bestScore === 0) return issue;
  const inner = pickIssue(best);
  return { ...inner, path: [...issue.path, ...inner.path] } as Issue;
}

/**
 * Parses `input` with `schema`; on failure throws a {@link KmsValidationError} (or {@link KmsConfigError}
 * when `kind` is `config`) naming the first bad field.
 */
export function parseInput<S extends z.ZodMiniType>(
  schema: S,
  input: unknown,
  root = '',
  kind: 'config' | 'argument' = 'argument',
): z.output<S> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const issue = pickIssue(result.error.issues[0]!);
  const ErrorClass = kind === 'config' ? KmsConfigError : KmsValidationError;
  const knownKeys = issue.code === 'unrecognized_keys' ? keysAt(schema, issue.path) : [];
  throw new ErrorClass(fieldOf(issue, root), describe(issue, knownKeys));
}

/**
 * Builds schemas on first use instead of at import: constructing zod schemas is most of this package's
 * import cost, and a process that never calls a method should not pay for its schema.
 */
export function lazySchemas<T>(build: () => T): () => T {
  let built: T | undefined;
  return () => {
    built ??= build();
    return built;
  };
}

/** A non-empty string, trimmed. */
export const nonEmptyString = () => z.string().check(z.trim(), z.minLength(1));

// ---------------------------------------------------------------------------------------------
// Fast paths. Building and first running a zod schema costs milliseconds, which every cold start
// pays. The common, well-formed shapes are recognised by hand first; a fast check only ever says yes
// when the schema would return the input unchanged, and anything it does not recognise (every
// mistake included) goes through the schema, which also words the error. A property test
// (test/fast-validation.test.ts) holds the two to that.

/** A plain object (`{}` or `Object.create(null)`) whose keys are all in `allowed`. */
export function isPlainWithKeys(
  value: unknown,
  allowed: readonly string[],
): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null) return false;
  const proto = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) return false;
  for (const key of Object.keys(value)) if (!allowed.includes(key)) return false;
  return true;
}

/** A non-empty string that trimming would not change (what `nonEmptyString()` returns as is). */
export const isCleanString = (value: unknown): value is string =>
  typeof value === 'string' && value !== '' && value.trim() === value;

/** An integer of at least `min`. */
export const isWholeNumber = (value: unknown, min: number): value is number =>
  typeof value === 'number' && Number.isInteger(value) && value >= min;

/** `undefined` or a boolean. */
export const isOptionalBoolean = (value: unknown): boolean =>
  value === undefined || typeof value === 'boolean';
