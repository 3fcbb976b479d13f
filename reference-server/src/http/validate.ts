/**
 * Parsing a request's params, query and body with zod, failing with the API's 422. Issues name the
 * field, never the offending value.
 */
import type { Request } from 'express';
import type { z } from 'zod';
import { ValidationError } from './errors.js';

/** Issues as the API reports them: code, message and path, never the offending input value. */
function toIssues(error: z.ZodError): unknown[] {
  return error.issues.map((issue) => ({ code: issue.code, message: issue.message, path: issue.path }));
}

/** Hand-written parsers of some schemas' common inputs, by schema (see withFastPath). */
const fastPaths = new WeakMap<z.ZodType, (value: unknown) => unknown>();

/**
 * Gives `schema` a hand-written parser for the inputs a hot route gets on almost every request:
 * `fast` returns exactly what the schema would, or `undefined` to leave the input to zod (anything
 * unusual, and every invalid input, so the 422's issues are always zod's). Why: in the running server
 * one zod parse of a query costs several µs, a hand-written one well under one (the measurement is in
 * reference-server/README.md#benchmark). Each fast path has a test comparing it with the schema on
 * many inputs, valid and not. Returns `schema`, which the OpenAPI document still describes.
 */
export function withFastPath<S extends z.ZodType>(
  schema: S,
  fast: (value: unknown) => z.output<S> | undefined,
): S {
  fastPaths.set(schema, fast);
  return schema;
}

/** Parses a value with a zod schema, throwing the 422 `ValidationFailure` on failure. */
export function parseWith<S extends z.ZodType>(schema: S, value: unknown, where?: string): z.output<S> {
  const fast = fastPaths.get(schema)?.(value ?? {});
  if (fast !== undefined) return fast as z.output<S>;
  const result = schema.safeParse(value ?? {});
  if (!result.success) {
    const issues = toIssues(result.error).map((i) =>
      where ? { ...(i as object), path: [where, ...(i as { path: PropertyKey[] }).path] } : i,
    );
    throw new ValidationError(issues);
  }
  return result.data;
}

export const parseBody = <S extends z.ZodType>(req: Request, schema: S) =>
  parseWith(schema, req.body, 'body');
export const parseQuery = <S extends z.ZodType>(req: Request, schema: S) =>
  parseWith(schema, req.query, 'query');
export const parseParams = <S extends z.ZodType>(req: Request, schema: S) =>
  parseWith(schema, req.params, 'params');
