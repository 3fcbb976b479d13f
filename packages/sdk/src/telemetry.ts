/**
 * What the client reports about each logical call (`kms.secrets.list`, `kms.kms.encrypt`…): an
 * OpenTelemetry span when the app registered a tracer provider, and lines for the `logger` option.
 * Both carry the same facts: operation, status, attempts and retries, request id, cache outcome,
 * counts. Never a secret value, token, credential, secret name or request path.
 *
 * `@opentelemetry/api` is an optional peer dependency, imported only once a provider is registered
 * (the API keeps its registrations on `globalThis`, which is checked without importing anything), so
 * an app without OpenTelemetry pays nothing. See docs/observability.md.
 *
 * @module
 */

/**
 * A logger for apps without OpenTelemetry (`console` qualifies). Each method gets a message and
 * structured fields that hold no secret. Missing methods are skipped.
 */
export interface KmsLogger {
  /** One line per logical call, and token renewals. */
  debug?(message: string, fields: Record<string, unknown>): void;
  /** Logins the SDK performed on its own. */
  info?(message: string, fields: Record<string, unknown>): void;
  /** Retries, stale answers from the cache, failed background refreshes. */
  warn?(message: string, fields: Record<string, unknown>): void;
}

/** How a cached read was answered. */
export type CacheOutcome = 'hit' | 'miss' | 'revalidated' | 'stale';

/** One HTTP attempt of a call, as the transport reports it. */
export interface AttemptReport {
  /** 1 for the first attempt. */
  attempt: number;
  status?: number;
  /** The error class of a failed attempt (`KmsConnectionError`, `KmsTimeoutError`…). */
  errorType?: string;
  /** The wait before the next attempt, when there is one. */
  retryDelayMs?: number;
}

/** The part of the OpenTelemetry API this module uses (structural, so nothing is imported at build). */
interface OtelSpan {
  setAttribute(key: string, value: string | number | boolean): unknown;
  addEvent(name: string, attributes?: Record<string, string | number | boolean>): unknown;
  setStatus(status: { code: number; message?: string }): unknown;
  end(): void;
}
interface OtelApi {
  trace: {
    getTracer(
      name: string,
      version?: string,
    ): {
      startSpan(
        name: string,
        options: { kind: number; attributes: Record<string, string | number> },
      ): OtelSpan;
    };
    setSpan(context: unknown, span: OtelSpan): unknown;
  };
  context: { active(): unknown; with<T>(context: unknown, fn: () => T): T };
}

const SPAN_KIND_CLIENT = 2;
const STATUS_OK = 1;
const STATUS_ERROR = 2;
// Kept in a variable so bundlers do not try to resolve the optional peer at build time.
const OTEL_API = '@opentelemetry/api';
const registered = () =>
  Boolean(
    (globalThis as Record<symbol, { trace?: unknown } | undefined>)[Symbol.for('opentelemetry.js.api.1')]
      ?.trace,
  );

/** What one call collects until it ends. */
export class CallObservation {
  readonly #started = Date.now();
  #attempts = 0;
  #fields: Record<string, string | number | boolean> = {};

  readonly #span: OtelSpan | undefined;
  readonly #logger: KmsLogger | undefined;

  constructor(
    readonly operation: string,
    span: OtelSpan | undefined,
    logger: KmsLogger | undefined,
  ) {
    this.#span = span;
    this.#logger = logger;
  }

  /** An HTTP attempt finished (the transport calls it once per attempt). */
  attempt(report: AttemptReport): void {
    this.#attempts = report.attempt;
    const event: Record<string, string | number> = { 'kms.attempt': report.attempt };
    if (report.status !== undefined) event['http.response.status_code'] = report.status;
    if (report.errorType) event['error.type'] = report.errorType;
    if (report.retryDelayMs !== undefined) event['kms.retry_delay_ms'] = report.retryDelayMs;
    this.#span?.addEvent('kms.attempt', event);
    if (report.retryDelayMs !== undefined)
      this.#logger?.warn?.(`${this.operation}: retrying`, { operation: this.operation, ...event });
  }

  /** Adds facts to the call (`kms.cache`, `kms.secrets.count`…). */
  set(fields: Record<string, string | number | boolean | undefined>): void {
    for (const [key, value] of Object.entries(fields)) {
      if (value === undefined) continue;
      this.#fields[key] = value;
      this.#span?.setAttribute(key, value);
    }
  }

  /** Ends the call: successfully, or with the error it threw. */
  end(error?: unknown): void {
    const errorType = error === undefined ? undefined : ((error as Error)?.name ?? 'Error');
    const status = (error as { status?: unknown } | undefined)?.status;
    const requestId = (error as { requestId?: unknown } | undefined)?.requestId;
    this.set({
      'kms.attempts': this.#attempts,
      'kms.retry_count': Math.max(0, this.#attempts - 1),
      ...(typeof status === 'number' ? { 'http.response.status_code': status } : {}),
      ...(typeof requestId === 'string' ? { 'kms.request_id': requestId } : {}),
      ...(errorType ? { 'error.type': errorType } : {}),
    });
    if (this.#span) {
      // The status message is the error class only: messages can name a secret.
      this.#span.setStatus(errorType ? { code: STATUS_ERROR, message: errorType } : { code: STATUS_OK });
      this.#span.end();
    }
    const fields = { operation: this.operation, durationMs: Date.now() - this.#started, ...this.#fields };
    this.#logger?.debug?.(`${this.operation} ${errorType ? `failed: ${errorType}` : 'ok'}`, fields);
  }
}

/** What the client tells its telemetry. */
interface TelemetrySettings {
  tracing: boolean;
  logger: KmsLogger | undefined;
  server: { address: string; port: number };
  version: string;
}

/** The client's telemetry: starts one observation per logical call. */
export class Telemetry {
  #api: Promise<OtelApi | undefined> | undefined;
  #loaded: OtelApi | undefined;

  readonly #settings: TelemetrySettings;

  constructor(settings: TelemetrySettings) {
    this.#settings = settings;
  }

  /** The logger, for the client's lifecycle events. */
  get logger(): KmsLogger | undefined {
    return this.#settings.logger;
  }

  /**
   * Runs `call` as one observed call named `kms.<operation>`: in a span made current (so spans of
   * fetch instrumentation nest under it) when a tracer provider is registered.
   */
  async run<T>(
    operation: string,
    method: string,
    call: (observation: CallObservation) => Promise<T>,
  ): Promise<T> {
    const api = await this.#otel();
    const name = `kms.${operation}`;
    const span = api?.trace.getTracer('@hanzo/kms', this.#settings.version).startSpan(name, {
      kind: SPAN_KIND_CLIENT,
      attributes: {
        'kms.operation': operation,
        'http.request.method': method,
        'server.address': this.#settings.server.address,
        'server.port': this.#settings.server.port,
      },
    });
    const observation = new CallObservation(name, span, this.#settings.logger);
    const observed = async () => {
      try {
        const result = await call(observation);
        observation.end();
        return result;
      } catch (error) {
        observation.end(error);
        throw error;
      }
    };
    return api && span
      ? api.context.with(api.trace.setSpan(api.context.active(), span), observed)
      : observed();
  }

  /** The OpenTelemetry API once a provider is registered; undefined (and nothing imported) before. */
  #otel(): Promise<OtelApi | undefined> | OtelApi | undefined {
    if (!this.#settings.tracing) return undefined;
    if (this.#loaded) return this.#loaded;
    if (!this.#api) {
      if (!registered()) return undefined;
      this.#api = import(/* webpackIgnore: true */ /* @vite-ignore */ OTEL_API).then(
        (module: { default?: OtelApi } & OtelApi) => {
          this.#loaded = module.trace ? module : module.default;
          return this.#loaded;
        },
        () => undefined,
      );
    }
    return this.#api;
  }
}
