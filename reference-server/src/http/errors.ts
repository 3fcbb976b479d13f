/**
 * The API's error classes. Every handled failure becomes the contract's envelope
 * `{ reqId, statusCode, message, error, details? }`; `error` is the class's `name`,
 * which a service may override (e.g. `SecretPathNotFound`) as upstream does.
 */
export class ApiError extends Error {
  readonly statusCode: number;
  readonly details: unknown;
  readonly headers: Record<string, string>;
  /** Fields added to the envelope beside `message` (the 404 of an unknown route adds `docs`). */
  readonly envelopeFields: Record<string, string>;

  constructor(
    statusCode: number,
    name: string,
    message: string,
    options: {
      details?: unknown;
      headers?: Record<string, string>;
      envelopeFields?: Record<string, string>;
    } = {},
  ) {
    super(message);
    this.statusCode = statusCode;
    this.name = name;
    this.details = options.details;
    this.headers = options.headers ?? {};
    this.envelopeFields = options.envelopeFields ?? {};
  }
}

type ErrorOptions = { name?: string; details?: unknown };

/** 400: the request is understood but refused by a business rule. */
export const badRequest = (message = 'The request is invalid', o: ErrorOptions = {}) =>
  new ApiError(400, o.name ?? 'BadRequest', message, o);

/** 401: no usable credential (missing, revoked, exhausted, wrong secret). */
export const unauthorized = (message = 'You are not allowed to access this resource', o: ErrorOptions = {}) =>
  new ApiError(401, o.name ?? 'UnauthorizedError', message, o);

/** 403: a credential that is not allowed to do this. */
export const forbidden = (message: string, o: ErrorOptions = {}) =>
  new ApiError(403, o.name ?? 'ForbiddenError', message, o);

/** 403 from a role check, worded like the upstream CASL failure. */
export const permissionDenied = (action: string, subject: string) =>
  new ApiError(403, 'PermissionDenied', `You are not allowed to ${action} on ${subject}`);

/** 403 for any JWT verification failure (expired, malformed, bad signature). */
export const tokenError = (message: string) => new ApiError(403, 'TokenError', message);

/** 404: the named entity does not exist (or is not visible to the caller). */
export const notFound = (message = 'The requested entity is not found', o: ErrorOptions = {}) =>
  new ApiError(404, o.name ?? 'NotFound', message, o);

/** 409: a conflicting write (used where upstream has no better code). */
export const conflict = (message: string, o: ErrorOptions = {}) =>
  new ApiError(409, o.name ?? 'Conflict', message, o);

/** 413: body larger than the server accepts. */
export const payloadTooLarge = (message: string) => new ApiError(413, 'PayloadTooLarge', message);

/** 415: a body that is not JSON. */
export const unsupportedMediaType = (message: string) => new ApiError(415, 'UnsupportedMediaType', message);

/** 422: request validation failed; `message` is the issues list, as upstream sends it. */
export class ValidationError extends ApiError {
  readonly issues: unknown[];
  constructor(issues: unknown[]) {
    super(422, 'ValidationFailure', 'Request validation failed');
    this.issues = issues;
  }
}

/** 429 with `Retry-After` in seconds. */
export const rateLimitExceeded = (retryAfterSeconds: number) =>
  new ApiError(
    429,
    'RateLimitExceeded',
    `Rate limit exceeded. Please try again in ${retryAfterSeconds} seconds`,
    { headers: { 'Retry-After': String(retryAfterSeconds) } },
  );
