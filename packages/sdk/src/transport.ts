/**
 * HTTP transport: one `fetch` call per attempt, wrapped in the SDK's one retry loop, each attempt and
 * retry wait inside the call's {@link CallScope} (deadline, caller's signal, per-attempt timeout). Of the response it reads only `status`,
 * `headers.get()` and `text()`, so any fetch-compatible function works (fetch-like.ts),
 * including one over `node:http` that never loads Node's fetch implementation (`@hanzo/kms-node`).
 *
 * @module
 */
import { CallScope } from './call-scope.js';
import {
  createApiError,
  KmsAbortError,
  KmsConnectionError,
  type KmsError,
  type KmsRequestInfo,
  KmsResponseParseError,
  KmsTimeoutError,
  parseRetryAfter,
} from './errors.js';
import {
  isOutage,
  OUTAGE_MAX_DELAY,
  type RetryPolicy,
  retryDelay,
  shouldRetryError,
  shouldRetryStatus,
} from './retry-policy.js';
import type { FetchLike, FetchLikeResponse, HeaderReader } from './fetch-like.js';
import type { AttemptReport } from './telemetry.js';

/** Per-call options accepted as the last argument of every SDK method. */
export interface RequestOptions {
  /** Timeout of each attempt, in milliseconds. Overrides the client's `timeout`. */
  timeout?: number;
  /**
   * Time budget of the whole call in milliseconds: login if one is needed, every attempt, every retry
   * wait. When it runs out the call throws {@link KmsTimeoutError} (`kind: 'deadline'`). Overrides the
   * client's `deadline`.
   */
  deadline?: number;
  /** Aborts the call (including retries and waits); the SDK then throws {@link KmsAbortError}. */
  signal?: AbortSignal;
  /** Maximum number of retries for this call. Overrides the client's `retry.maxRetries`. */
  maxRetries?: number;
  /** Extra headers for this call. `Authorization` is always set by the SDK. */
  headers?: Record<string, string>;
}

/** One HTTP request as the resources describe it. */
export interface ApiRequest {
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE';
  /** Path below the API base, starting with `/v1`, `/v2` or `/v3`. */
  path: string;
  query?: Record<string, string | undefined>;
  body?: unknown;
  /** Whether repeating the request cannot change server state twice (GET, login, renew). */
  idempotent: boolean;
  /** Extra headers set by the SDK itself (e.g. `If-None-Match`). */
  headers?: Record<string, string>;
  /** Strings carried by this request that must never appear in an error (values, credentials). */
  sensitive?: readonly string[];
  requestOptions?: RequestOptions | undefined;
  /**
   * The logical call this request runs in (the client opens one per call, its login included); without
   * one the transport opens its own from `requestOptions` and the settings.
   */
  scope?: CallScope;
  /**
   * Top-level fields a 2xx body must have (`{ secrets: 'array' }`): anything else, valid JSON or not, is
   * a {@link KmsResponseParseError} naming the field, never a `TypeError` later in the resource.
   */
  expect?: Record<string, 'array' | 'object' | 'string' | 'boolean'>;
  /**
   * Array fields of the answer whose lengths the span and log line record as `kms.<field>.count`
   * (`['secrets', 'imports']`): the resource knows its answer's shape, the client does not.
   */
  counted?: readonly string[];
  /** The logical call this request belongs to (`secrets.list`), named in its span and log line. */
  operation?: string;
  /**
   * `false`: retry an outage only `maxRetries` times, not until the deadline (the client sets it when
   * a stale-if-error answer is at hand, so the caller gets it at once). @default true
   */
  rideOutOutages?: boolean;
  /** Told about each attempt (status or error, and the wait before a retry). @internal */
  observer?: { attempt(report: AttemptReport): void };
}

/** A successful (2xx or 304) response. */
export interface ApiResponse<T> {
  status: number;
  /** Parsed JSON body; `undefined` for 304 and empty bodies. */
  data: T | undefined;
  headers: HeaderReader;
}

/** Transport settings resolved from the client options. */
export interface TransportSettings {
  baseUrl: string;
  timeout: number;
  /** Default time budget of one call, in milliseconds. */
  deadline: number;
  retry: RetryPolicy;
  headers: Record<string, string>;
  fetch: FetchLike | undefined;
}

function abortError(request: KmsRequestInfo): KmsAbortError {
  return new KmsAbortError(`${request.method} ${request.path}: aborted by the caller`);
}

/** Sends requests to the KMS API: serialisation, timeout, abort, retries and error mapping. */
export class HttpTransport {
  /** Set by the first HTTP answer: from then on a refused connection is an outage to ride out. */
  private reachedServer = false;

  constructor(private readonly settings: TransportSettings) {}

  /**
   * The fetch to use, resolved at each call: a fetch patched after construction (msw, instrumentation)
   * is used, and nothing touches Node's fetch implementation before the first request.
   */
  private get fetch(): FetchLike {
    return this.settings.fetch ?? (globalThis.fetch as unknown as FetchLike);
  }

  /** Sends `request`, retrying as the policy allows; resolves on 2xx/304, throws a {@link KmsError} otherwise. */
  async send<T>(request: ApiRequest): Promise<ApiResponse<T>> {
    const info: KmsRequestInfo = { method: request.method, path: request.path };
    const opts = request.requestOptions ?? {};
    const maxRetries = opts.maxRetries ?? this.settings.retry.maxRetries;
    const timeoutMs = opts.timeout ?? this.settings.timeout;
    const scope = request.scope ?? new CallScope(opts.deadline ?? this.settings.deadline, opts.signal);
    const budget = scope.budget ?? this.settings.deadline;
    const ended = () =>
      scope.callerAborted ? abortError(info) : new KmsTimeoutError(info, budget, 'deadline');
    // A retry is worth its wait only if the wait ends before the deadline.
    const fitsBeforeDeadline = (delay: number) => delay < scope.remaining();
    // An outage is retried until the deadline rather than counted (retry-policy.ts).
    const rideOut = request.rideOutOutages !== false && maxRetries > 0;
    const outageDelay = (attempt: number, retryAfterMs: number | undefined) =>
      retryAfterMs === undefined
        ? Math.min(retryDelay(attempt, undefined, this.settings.retry), OUTAGE_MAX_DELAY)
        : retryDelay(attempt, retryAfterMs, this.settings.retry);
    for (let attempt = 0; ; attempt++) {
      if (scope.callerAborted || scope.expired) throw ended();
      const outcome = await this.attempt(request, info, scope, timeoutMs, ended);
      if ('error' in outcome) {
        const error = outcome.error;
        if (error instanceof KmsAbortError) throw error;
        const pastDeadline = error instanceof KmsTimeoutError && error.kind === 'deadline';
        const outage = rideOut && this.reachedServer && isOutage({ error }, request.idempotent);
        const delay = outage
          ? outageDelay(attempt, undefined)
          : retryDelay(attempt, undefined, this.settings.retry);
        if (
          !pastDeadline &&
          (outage || (attempt < maxRetries && shouldRetryError(error, request.idempotent))) &&
          fitsBeforeDeadline(delay)
        ) {
          request.observer?.attempt({ attempt: attempt + 1, errorType: error.name, retryDelayMs: delay });
          await scope.sleep(delay, ended);
          continue;
        }
        request.observer?.attempt({ attempt: attempt + 1, errorType: error.name });
        throw error;
      }
      const { response, text } = outcome;
      if ((response.status >= 200 && response.status < 300) || response.status === 304) {
        request.observer?.attempt({ attempt: attempt + 1, status: response.status });
        const data = this.parseBody<T>(text, response, info);
        if (response.status !== 304) checkShape(data, request.expect, response, info);
        return { status: response.status, data, headers: response.headers };
      }
      let body: unknown;
      try {
        body = text ? JSON.parse(text) : undefined;
      } catch {
        body = undefined;
      }
      const error = createApiError({
        ...info,
        status: response.status,
        body,
        text,
        headers: response.headers,
        sensitive: request.sensitive ?? [],
      });
      const outage = rideOut && isOutage({ status: response.status }, request.idempotent);
      if (outage || (attempt < maxRetries && shouldRetryStatus(response.status, request.idempotent))) {
        const retryAfter = parseRetryAfter(response.headers.get('retry-after'));
        const delay = outage
          ? outageDelay(attempt, retryAfter)
          : retryDelay(attempt, retryAfter, this.settings.retry);
        if (fitsBeforeDeadline(delay)) {
          request.observer?.attempt({ attempt: attempt + 1, status: response.status, retryDelayMs: delay });
          await scope.sleep(delay, ended);
          continue;
        }
      }
      request.observer?.attempt({ attempt: attempt + 1, status: response.status });
      throw error;
    }
  }

  private parseBody<T>(text: string, response: FetchLikeResponse, info: KmsRequestInfo): T | undefined {
    if (response.status === 304 || text === '') return undefined;
    try {
      return JSON.parse(text) as T;
    } catch {
      throw new KmsResponseParseError({
        ...info,
        status: response.status,
        errorName: 'InvalidResponse',
        message: `the response body is not valid JSON (${text.length} bytes)`,
        requestId: response.headers.get('x-request-id') ?? undefined,
        details: undefined,
      });
    }
  }

  /**
   * One HTTP attempt within `timeoutMs` and the call's scope. The fetch and the body read are raced against the
   * signal, so a fetch that ignores it still ends on time; an aborted attempt is the caller's abort or
   * the deadline (`ended`), or its own timeout.
   */
  private async attempt(
    request: ApiRequest,
    info: KmsRequestInfo,
    scope: CallScope,
    timeoutMs: number,
    ended: () => KmsError,
  ): Promise<{ response: FetchLikeResponse; text: string } | { error: KmsError }> {
    const headers: Record<string, string> = {
      accept: 'application/json',
      ...this.settings.headers,
      ...callerHeaders(request.requestOptions?.headers),
      ...request.headers,
    };
    const body = request.body === undefined ? undefined : JSON.stringify(request.body);
    if (body !== undefined) headers['content-type'] = 'application/json';
    // Called unbound: workerd and browsers throw "Illegal invocation" when the global fetch is
    // called as a method of another object (tests/runtimes runs it in workerd).
    const fetch = this.fetch;
    const attempt = scope.attempt(timeoutMs);
    const exchange = async () => {
      const response = await fetch(this.settings.baseUrl + request.path + queryString(request.query), {
        method: request.method,
        headers,
        ...(body === undefined ? {} : { body }),
        signal: attempt.signal,
      });
      this.reachedServer = true;
      // The body is read inside the race, so a reset while reading is a connection error too.
      return { response, text: await response.text() };
    };
    try {
      return await scope.race(exchange(), () => new KmsAbortError('attempt aborted'), attempt.signal);
    } catch (cause) {
      if (attempt.signal.aborted)
        return { error: attempt.timedOut() ? new KmsTimeoutError(info, timeoutMs) : ended() };
      const root = connectionCause(cause);
      return {
        error: new KmsConnectionError(info, undefined, {
          cause: root,
          tlsMismatch: this.settings.baseUrl.startsWith('https:') && isPlainHttpAnswer(root),
        }),
      };
    }
  }
}

/** Throws {@link KmsResponseParseError} when `data` lacks a field `expect` names, or has it of another kind. */
function checkShape(
  data: unknown,
  expect: ApiRequest['expect'],
  response: FetchLikeResponse,
  info: KmsRequestInfo,
): void {
  if (!expect) return;
  for (const [field, kind] of Object.entries(expect)) {
    const value = (data as Record<string, unknown> | undefined)?.[field];
    const ok =
      kind === 'array'
        ? Array.isArray(value)
        : kind === 'object'
          ? typeof value === 'object' && value !== null && !Array.isArray(value)
          : typeof value === kind;
    if (ok) continue;
    throw new KmsResponseParseError({
      ...info,
      status: response.status,
      errorName: 'InvalidResponse',
      message: `the response has no ${kind} \`${field}\` (is siteUrl a KMS API?)`,
      requestId: response.headers.get('x-request-id') ?? undefined,
      details: undefined,
    });
  }
}

/** `?a=1&b=2` from the defined entries of `query` (encoded as `URLSearchParams` does), or `''`. */
function queryString(query: Record<string, string | undefined> | undefined): string {
  if (!query) return '';
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) if (v !== undefined) params.append(k, v);
  const text = params.toString();
  return text ? `?${text}` : '';
}

/** The caller's per-request headers, minus `Authorization` (only the SDK sets it, and never on auth calls). */
function callerHeaders(headers: Record<string, string> | undefined): Record<string, string> {
  if (!headers) return {};
  return Object.fromEntries(
    Object.entries(headers).filter(([name]) => name.toLowerCase() !== 'authorization'),
  );
}

/**
 * Whether a failed TLS handshake read a plain-HTTP answer: OpenSSL's "wrong version number" (Node's fetch
 * and `node:https` both report it, the latter as `EPROTO`) or "packet length too long".
 */
function isPlainHttpAnswer(error: unknown): boolean {
  const { code, message } = (error ?? {}) as { code?: unknown; message?: unknown };
  if (code === 'ERR_SSL_WRONG_VERSION_NUMBER' || code === 'ERR_SSL_PACKET_LENGTH_TOO_LONG') return true;
  return typeof message === 'string' && /wrong version number|packet length too long/i.test(message);
}

/** fetch wraps the socket failure; keep the innermost cause (e.g. `ECONNREFUSED`) for retry decisions. */
function connectionCause(error: unknown): unknown {
  let current = error;
  for (let depth = 0; depth < 4; depth++) {
    const next = (current as { cause?: unknown } | undefined)?.cause;
    if (!next) break;
    current = next;
  }
  return current;
}
