/**
 * The SDK's one error hierarchy. Every error the SDK throws is a {@link KmsError}; HTTP failures are
 * built by the error factory (`createApiError`) from the server's envelope `{ reqId, statusCode, message, error }`.
 *
 * No message built here ever contains a secret value, a client secret or a token: messages come from
 * the server (scrubbed of every sensitive string the request carried) or from fixed SDK text.
 *
 * @module
 */
import type { HeaderReader } from './fetch-like.js';
import { REDACTED } from './redaction.js';

/** Base class of every error thrown by `@hanzo/kms`. */
export class KmsError extends Error {
  /** Always `KmsError`. */
  override name = 'KmsError';
}

/** Bad input to an SDK method: `field` names the offending parameter (e.g. `environment`). */
export class KmsValidationError extends KmsError {
  /** Always `KmsValidationError`. */
  override name = 'KmsValidationError';
  /** Dotted path of the offending field, e.g. `cache.ttl` or `secrets.0.secretKey`. */
  readonly field: string;
  constructor(field: string, message: string) {
    super(`Invalid ${field}: ${message}`);
    this.field = field;
  }
}

/** Bad `KmsClientOptions` given to `new KmsClient()`; `field` names the option. */
export class KmsConfigError extends KmsValidationError {
  /** Always `KmsConfigError`. */
  override name = 'KmsConfigError';
}

/**
 * A merge into an environment refused under the `error` policy (`mergeIntoEnv`): `keys` names the
 * variables that already hold a different value. The message names keys only, never values.
 */
export class KmsEnvConflictError extends KmsError {
  /** Always `KmsEnvConflictError`. */
  override name = 'KmsEnvConflictError';
  /** The conflicting variable names, sorted. */
  readonly keys: readonly string[];
  constructor(keys: readonly string[]) {
    super(
      `refusing to load: ${keys.length === 1 ? 'variable' : 'variables'} ${keys.join(', ')} already set to a different value`,
    );
    this.keys = Object.freeze([...keys]);
  }
}

/** What the SDK knows about the HTTP request that failed (never its headers or body). */
export interface KmsRequestInfo {
  /** HTTP method, e.g. `GET`. */
  method: string;
  /** Path below the API base, e.g. `/v3/secrets/raw` (no query string). */
  path: string;
}

/** Fields of a failed HTTP response, as passed to the error factory (`createApiError`). */
export interface KmsApiErrorInit extends KmsRequestInfo {
  /** HTTP status code. */
  status: number;
  /** The envelope's `error` field (server-side error name, e.g. `TokenError`). */
  errorName: string | undefined;
  /** Human-readable message (already scrubbed). */
  message: string;
  /** The envelope's `reqId` or the `x-request-id` header. */
  requestId: string | undefined;
  /** The envelope's `details`, or the issue list of a 422. */
  details: unknown;
  /** `Retry-After` in milliseconds when the server sent one. */
  retryAfterMs?: number | undefined;
}

/** The server answered with an error status. Subclasses exist per status (see the error factory (`createApiError`)). */
export class KmsApiError extends KmsError {
  /** Always `KmsApiError`. */
  override name = 'KmsApiError';
  /** HTTP status code. */
  readonly status: number;
  /** The server's error name from the envelope's `error` field, e.g. `TokenError`, `SecretPathNotFound`. */
  readonly error: string | undefined;
  /** Server request id (`reqId`), useful when reporting an incident. */
  readonly requestId: string | undefined;
  /** Extra details from the envelope (permission rules, expansion failures, 422 issues). */
  readonly details: unknown;
  /** HTTP method of the failed request. */
  readonly method: string;
  /** API path of the failed request (no query string). */
  readonly path: string;
  /** The server's own message (the envelope's `message`), already scrubbed of sensitive strings. */
  readonly serverMessage: string;
  constructor(init: KmsApiErrorInit) {
    super(
      `${init.method} ${init.path} failed with ${init.status}${init.errorName ? ` ${init.errorName}` : ''}: ${init.message}${init.requestId ? ` (reqId ${init.requestId})` : ''}`,
    );
    this.status = init.status;
    this.error = init.errorName;
    this.requestId = init.requestId;
    this.details = init.details;
    this.method = init.method;
    this.path = init.path;
    this.serverMessage = init.message;
  }
}

/** 400: the server refused the request as invalid. */
export class KmsBadRequestError extends KmsApiError {
  /** Always `KmsBadRequestError`. */
  override name = 'KmsBadRequestError';
}
/** 401: the token is missing, revoked, exhausted or the credentials are wrong. */
export class KmsAuthenticationError extends KmsApiError {
  /** Always `KmsAuthenticationError`. */
  override name = 'KmsAuthenticationError';
}
/**
 * 401 at login: the identity's login method is locked after repeated failed logins (Universal Auth
 * lockout). Wait for the lockout to end, or have an admin clear it; retrying sooner keeps it locked.
 */
export class KmsIdentityLockedError extends KmsAuthenticationError {
  /** Always `KmsIdentityLockedError`. */
  override name = 'KmsIdentityLockedError';
}

/** The server's lockout answer (a 401 like wrong credentials, told apart only by its message). */
const LOCKOUT_MESSAGE = /temporarily locked/i;

/** 403: permission denied, or (with `error === 'TokenError'`) an expired or malformed token. */
export class KmsPermissionDeniedError extends KmsApiError {
  /** Always `KmsPermissionDeniedError`. */
  override name = 'KmsPermissionDeniedError';
}
/** 404: the project, environment, folder or secret does not exist. */
export class KmsNotFoundError extends KmsApiError {
  /** Always `KmsNotFoundError`. */
  override name = 'KmsNotFoundError';
}
/** 409: conflicting state. */
export class KmsConflictError extends KmsApiError {
  /** Always `KmsConflictError`. */
  override name = 'KmsConflictError';
}
/** 422: the server's validation failed; `issues` holds its issue list. */
export class KmsUnprocessableEntityError extends KmsApiError {
  /** Always `KmsUnprocessableEntityError`. */
  override name = 'KmsUnprocessableEntityError';
  /** The server's validation issues (the 422 envelope's `message` array). */
  get issues(): unknown[] {
    return Array.isArray(this.details) ? this.details : [];
  }
}
/** What a 429 means and what to change, appended to its message (the same words as the `kms` CLI's). */
export const RATE_LIMIT_ADVICE =
  'the server is rate limiting this client: make fewer requests (a longer watch or refresh interval, a cache), ' +
  'or on a server you run raise its limits (the reference server: KMS_RATE_LIMIT=off)';

/**
 * 429: rate limited (the SDK retried and waited first). `retryAfterMs` is the server's `Retry-After`,
 * when sent. The message says the server is rate limiting and what to change.
 */
export class KmsRateLimitError extends KmsApiError {
  /** Always `KmsRateLimitError`. */
  override name = 'KmsRateLimitError';
  /** The server's `Retry-After` in milliseconds, if it sent one. */
  readonly retryAfterMs: number | undefined;
  constructor(init: KmsApiErrorInit) {
    super(init);
    this.message = `${this.message}; ${RATE_LIMIT_ADVICE}`;
    this.retryAfterMs = init.retryAfterMs;
  }
}
/** 5xx: the server failed. */
export class KmsInternalServerError extends KmsApiError {
  /** Always `KmsInternalServerError`. */
  override name = 'KmsInternalServerError';
}
/** A 2xx response whose body is not the JSON the SDK expected. */
export class KmsResponseParseError extends KmsApiError {
  /** Always `KmsResponseParseError`. */
  override name = 'KmsResponseParseError';
}

/** The server could not be reached (DNS, refused, reset) or the connection broke mid-response. */
export class KmsConnectionError extends KmsError {
  /** Always `KmsConnectionError`. */
  override name = 'KmsConnectionError';
  /** HTTP method of the failed request. */
  readonly method: string;
  /** API path of the failed request. */
  readonly path: string;
  /**
   * `true` when the TLS handshake failed because the server answered in plain HTTP: an `https://` base
   * URL pointed at a plain-HTTP server (the message says to use `http://`).
   */
  readonly tlsMismatch: boolean;
  constructor(
    request: KmsRequestInfo,
    message?: string,
    options?: { cause?: unknown; tlsMismatch?: boolean },
  ) {
    const tlsMismatch = options?.tlsMismatch === true;
    super(
      message ??
        (tlsMismatch
          ? `${request.method} ${request.path}: TLS/plain-HTTP mismatch: the server answered in plain HTTP, not TLS (use an http:// URL, or serve TLS)`
          : `${request.method} ${request.path}: could not reach the KMS server`),
      options?.cause === undefined ? undefined : { cause: options.cause },
    );
    this.method = request.method;
    this.path = request.path;
    this.tlsMismatch = tlsMismatch;
  }
}

/** The request did not complete within its timeout (`timeout` option, per attempt). */
export class KmsTimeoutError extends KmsConnectionError {
  /** Always `KmsTimeoutError`. */
  override name = 'KmsTimeoutError';
  /** The timeout that elapsed, in milliseconds. */
  readonly timeoutMs: number;
  /** `attempt`: one HTTP attempt hit `timeout`; `deadline`: the whole call ran out of its `deadline`. */
  readonly kind: 'attempt' | 'deadline';
  constructor(request: KmsRequestInfo, timeoutMs: number, kind: 'attempt' | 'deadline' = 'attempt') {
    super(
      request,
      kind === 'deadline'
        ? `${request.method} ${request.path}: the call ran out of its ${timeoutMs} ms deadline`
        : `${request.method} ${request.path}: timed out after ${timeoutMs} ms`,
    );
    this.timeoutMs = timeoutMs;
    this.kind = kind;
  }
}

/** The caller aborted the request through its `AbortSignal`. */
export class KmsAbortError extends KmsError {
  /** Always `KmsAbortError`. */
  override name = 'KmsAbortError';
}

const STATUS_CLASSES: Record<number, new (init: KmsApiErrorInit) => KmsApiError> = {
  400: KmsBadRequestError,
  401: KmsAuthenticationError,
  403: KmsPermissionDeniedError,
  404: KmsNotFoundError,
  409: KmsConflictError,
  422: KmsUnprocessableEntityError,
  429: KmsRateLimitError,
};

/**
 * Replaces every occurrence of each sensitive string in `text` with `[REDACTED]`. Strings shorter than
 * 4 characters are skipped: they cannot be told apart from ordinary words.
 */
export function scrubSensitive(text: string, sensitive: readonly string[]): string {
  let out = text;
  for (const value of sensitive) {
    if (value.length >= 4 && out.includes(value)) out = out.split(value).join(REDACTED);
  }
  return out;
}

function scrubDeep(value: unknown, sensitive: readonly string[]): unknown {
  if (typeof value === 'string') return scrubSensitive(value, sensitive);
  if (Array.isArray(value)) return value.map((v) => scrubDeep(v, sensitive));
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = scrubDeep(v, sensitive);
    return out;
  }
  return value;
}

/** Input of the error factory (`createApiError`): the failed request, the response and what must never be echoed. */
export interface CreateApiErrorInput extends KmsRequestInfo {
  /** HTTP status code. */
  status: number;
  /** Parsed response body, if it was JSON. */
  body: unknown;
  /** Raw body text when it was not JSON. */
  text?: string | undefined;
  /** Response headers. */
  headers?: HeaderReader | undefined;
  /** Strings the request carried that must never appear in the error (values, secrets, tokens). */
  sensitive: readonly string[];
}

/** Parses a `Retry-After` header (delta seconds or HTTP date) into milliseconds. */
export function parseRetryAfter(header: string | null | undefined, now = Date.now()): number | undefined {
  if (!header) return undefined;
  const seconds = Number(header);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const date = Date.parse(header);
  return Number.isFinite(date) ? Math.max(0, date - now) : undefined;
}

/**
 * The one factory that turns a failed HTTP response into a typed {@link KmsApiError} subclass.
 * It reads the contract's envelope (`statusCode`, `error`, `message`, `reqId`, `details`), treats a 422
 * `message` array as the issue list, and scrubs every sensitive string of the request from the result.
 */
export function createApiError(input: CreateApiErrorInput): KmsApiError {
  const envelope =
    input.body && typeof input.body === 'object' ? (input.body as Record<string, unknown>) : undefined;
  const rawMessage = envelope?.message;
  let details: unknown = envelope?.details;
  let message: string;
  if (Array.isArray(rawMessage)) {
    details = rawMessage;
    message = rawMessage
      .map((issue) => {
        const i = issue as { path?: unknown; message?: unknown };
        const path = Array.isArray(i.path) && i.path.length ? `${i.path.join('.')}: ` : '';
        return `${path}${typeof i.message === 'string' ? i.message : 'invalid'}`;
      })
      .join('; ');
  } else if (typeof rawMessage === 'string') {
    message = rawMessage;
  } else {
    message = input.text ? `unexpected response body (${input.text.length} bytes)` : 'no message';
  }
  const errorName = typeof envelope?.error === 'string' ? envelope.error : undefined;
  const requestId =
    (typeof envelope?.reqId === 'string' ? envelope.reqId : undefined) ??
    input.headers?.get('x-request-id') ??
    undefined;
  const init: KmsApiErrorInit = {
    method: input.method,
    path: input.path,
    status: input.status,
    errorName: errorName === undefined ? undefined : scrubSensitive(errorName, input.sensitive),
    message: scrubSensitive(message, input.sensitive),
    requestId,
    details: details === undefined ? undefined : scrubDeep(details, input.sensitive),
    retryAfterMs: parseRetryAfter(input.headers?.get('retry-after')),
  };
  const ErrorClass =
    input.status === 401 && LOCKOUT_MESSAGE.test(message)
      ? KmsIdentityLockedError
      : (STATUS_CLASSES[input.status] ?? (input.status >= 500 ? KmsInternalServerError : KmsApiError));
  return new ErrorClass(init);
}
