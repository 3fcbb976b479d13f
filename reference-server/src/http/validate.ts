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

/** Parses a value with a zod schema, throwing the 422 `ValidationFailure` on failure. */
export function parseWith<S extends z.ZodType>(schema: S, value: unknown, where?: string): z.output<S> {
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
