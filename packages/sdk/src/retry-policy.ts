/**
 * When and how long to wait before retrying. Idempotent requests (GET, login, renew) are retried on
 * connection errors, timeouts, 408, 429 and 5xx (except 501). Writes are retried only when the server
 * cannot have acted: a 429 (refused before any work) or a refused connection.
 *
 * An outage (a server restarting, its database away) is ridden out for as long as the call's deadline
 * allows instead of `maxRetries` times: a 503, and a refused or reset connection once the client has
 * reached the server at least once (before that, a wrong URL or a server not started fails fast).
 * Those waits are capped at {@link OUTAGE_MAX_DELAY} unless the server sent `Retry-After`.
 *
 * @module
 */
import { KmsConnectionError, type KmsError, KmsTimeoutError } from './errors.js';

/** Retry settings of a client (`retry` option). */
export interface RetryPolicy {
  /**
   * Retries after the first attempt; an outage (see the module notes) is ridden out until the call's
   * deadline instead, unless this is 0. @default 2
   */
  maxRetries: number;
  /** Delay before the first retry in milliseconds; doubles on each retry, with jitter. @default 500 */
  initialDelay: number;
  /** Upper bound of any wait, including a server's `Retry-After`, in milliseconds. @default 30000 */
  maxDelay: number;
}

/** The default {@link RetryPolicy}. */
export const defaultRetryPolicy: RetryPolicy = { maxRetries: 2, initialDelay: 500, maxDelay: 30_000 };

/** Longest wait between two attempts while riding out an outage without `Retry-After`, in milliseconds. */
export const OUTAGE_MAX_DELAY = 1000;

/**
 * Whether a failure looks like an outage the call should ride out until its deadline: a 503 (the
 * server is up but cannot serve yet), or a connection refused or reset (not an attempt timeout: a
 * hung server is bounded by `timeout` and `maxRetries`) of a request {@link shouldRetryError} allows.
 */
export function isOutage(failure: { status: number } | { error: KmsError }, idempotent: boolean): boolean {
  if ('status' in failure) return failure.status === 503 && idempotent;
  return !(failure.error instanceof KmsTimeoutError) && shouldRetryError(failure.error, idempotent);
}

const REFUSED_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'UND_ERR_CONNECT_TIMEOUT']);

/** Whether an HTTP status is worth retrying for a request of this kind. */
export function shouldRetryStatus(status: number, idempotent: boolean): boolean {
  if (status === 429) return true;
  if (!idempotent) return false;
  return status === 408 || (status >= 500 && status !== 501);
}

/** Whether a transport failure is worth retrying for a request of this kind. */
export function shouldRetryError(error: KmsError, idempotent: boolean): boolean {
  if (!(error instanceof KmsConnectionError)) return false;
  if (idempotent) return true;
  const code = (error.cause as { code?: unknown } | undefined)?.code;
  return typeof code === 'string' && REFUSED_CODES.has(code);
}

/**
 * Milliseconds to wait before retry number `attempt + 1`: the server's `Retry-After` when given, else
 * `initialDelay · 2^attempt` minus up to 25 % jitter; always capped at `maxDelay`.
 */
export function retryDelay(attempt: number, retryAfterMs: number | undefined, policy: RetryPolicy): number {
  if (retryAfterMs !== undefined) return Math.min(retryAfterMs, policy.maxDelay);
  const exponential = Math.min(policy.initialDelay * 2 ** attempt, policy.maxDelay);
  return Math.round(exponential * (1 - Math.random() * 0.25));
}
