/**
 * Subscribing to the server's change-notice stream (`GET /api/v1/change-notices/stream`, server-sent
 * events; docs/change-delivery.md): notices say where secrets changed, never values. The subscription
 * reconnects by itself with exponential backoff and jitter, resumes with `Last-Event-ID`, and treats a
 * silent connection (no heartbeat) as dead. It needs a `fetch` whose response body streams
 * (`body.getReader()`); where there is none, or the server does not offer the stream (404), it says
 * `unsupported` once and stops, so the caller keeps polling.
 *
 * @module
 */
import type { ProjectSelector } from './resources/request-params.js';

/** One change notice: where secrets changed. */
export interface ChangeNotice {
  /** Increases with every notice; the subscription resumes after the last one seen. */
  id: number;
  /** The project's id. */
  projectId: string;
  /** Environment slug. */
  environment: string;
  /** Folder path. */
  secretPath: string;
  /** Milliseconds since the epoch, when the write committed. */
  timestamp: number;
}

/** What to listen to. */
export type ChangeSubscriptionParams = ProjectSelector & {
  /** Only this environment (slug); every environment when absent. */
  environment?: string;
  /** Only this folder (and below it with `recursive`); every folder when absent. */
  secretPath?: string;
  /** Include the folders below `secretPath`. @default false */
  recursive?: boolean;
};

/** The subscription's state, as reported to {@link ChangeSubscriptionHandlers.onState}. */
export type ChangeSubscriptionState = 'connecting' | 'connected' | 'disconnected' | 'unsupported' | 'closed';

/** Callbacks of a subscription; none of them receives a secret. */
export interface ChangeSubscriptionHandlers {
  /** A change in scope. */
  onNotice?(notice: ChangeNotice): void;
  /**
   * The stream is live (`connected`), down and retrying (`disconnected`), not offered here
   * (`unsupported`: keep polling), or closed.
   */
  onState?(state: ChangeSubscriptionState): void;
  /** More changes were missed than the server replays: re-read everything. */
  onReset?(): void;
}

/** How a subscription reconnects. */
export interface ChangeSubscriptionTiming {
  /** First reconnect delay in ms, doubled per failure up to `maxDelayMs`, with jitter. @default 500 */
  initialDelayMs?: number;
  /** Longest reconnect delay in ms. @default 30000 */
  maxDelayMs?: number;
}

/** What the client gives a subscription. @internal */
export interface ChangeStreamTransport {
  baseUrl: string;
  token(signal: AbortSignal): Promise<string>;
  fetch: typeof globalThis.fetch | undefined;
  headers: Record<string, string>;
}

/** A running subscription: `close()` ends it. */
export class ChangeSubscription {
  #state: ChangeSubscriptionState = 'connecting';
  #lastEventId: number | undefined;
  readonly #abort = new AbortController();
  #connection: AbortController | undefined;
  #reader: ReadableStreamDefaultReader<Uint8Array> | undefined;
  #failures = 0;
  #wake: (() => void) | undefined;

  /** @internal */
  constructor(
    private readonly transport: ChangeStreamTransport,
    private readonly params: ChangeSubscriptionParams,
    private readonly handlers: ChangeSubscriptionHandlers,
    private readonly timing: ChangeSubscriptionTiming = {},
  ) {
    void this.#run();
  }

  /** The current state. */
  get state(): ChangeSubscriptionState {
    return this.#state;
  }

  /** The id of the last notice received (resumed after on reconnect). */
  get lastEventId(): number | undefined {
    return this.#lastEventId;
  }

  /** Ends the subscription (idempotent). */
  close(): void {
    if (this.#state === 'closed') return;
    this.#abort.abort();
    this.#connection?.abort();
    this.#reader?.cancel().catch(() => {});
    this.#wake?.();
    this.#setState('closed');
  }

  #setState(state: ChangeSubscriptionState) {
    if (this.#state === state || this.#state === 'closed') return;
    this.#state = state;
    try {
      this.handlers.onState?.(state);
    } catch {
      // A listener's failure is its own.
    }
  }

  #url(): string {
    const q = new URLSearchParams();
    if (this.params.projectId) q.set('projectId', this.params.projectId);
    if (this.params.projectSlug) q.set('projectSlug', this.params.projectSlug);
    if (this.params.environment) q.set('environment', this.params.environment);
    if (this.params.secretPath) q.set('secretPath', this.params.secretPath);
    if (this.params.recursive) q.set('recursive', 'true');
    return `${this.transport.baseUrl}/v1/change-notices/stream?${q}`;
  }

  async #run(): Promise<void> {
    const fetchFn = this.transport.fetch;
    if (!fetchFn) return this.#setState('unsupported');
    while (!this.#abort.signal.aborted) {
      const outcome = await this.#connect(fetchFn).catch(() => 'retry' as const);
      if (this.#abort.signal.aborted) return;
      if (outcome === 'unsupported') return this.#setState('unsupported');
      this.#setState('disconnected');
      // An idle timeout is routine: reconnect at once. Anything else backs off, with jitter.
      if (outcome === 'idle') continue;
      this.#failures++;
      const base = this.timing.initialDelayMs ?? 500;
      const cap = this.timing.maxDelayMs ?? 30_000;
      const delay = Math.min(cap, base * 2 ** (this.#failures - 1));
      await this.#sleep(delay / 2 + Math.random() * (delay / 2));
    }
  }

  #sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      (timer as { unref?: () => void }).unref?.();
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.#wake = done;
    });
  }

  /** One connection, until it ends; says how it ended. */
  async #connect(fetchFn: typeof globalThis.fetch): Promise<'idle' | 'retry' | 'unsupported'> {
    const connection = new AbortController();
    this.#connection = connection;
    const signal = AbortSignal.any([this.#abort.signal, connection.signal]);
    const token = await this.transport.token(signal);
    const headers: Record<string, string> = {
      ...this.transport.headers,
      accept: 'text/event-stream',
      authorization: `Bearer ${token}`,
    };
    if (this.#lastEventId !== undefined) headers['last-event-id'] = String(this.#lastEventId);
    const response = await fetchFn(this.#url(), { headers, signal });
    if (response.status !== 200) {
      // The body is not read; cancelling it frees the connection (not awaited: some fetches never settle it).
      response.body?.cancel().catch(() => {});
      return response.status === 404 ? 'unsupported' : 'retry';
    }
    const reader = response.body?.getReader?.();
    if (!reader) return 'unsupported';
    this.#reader = reader;
    // A connection silent for longer than a few heartbeats is dead (a half-open TCP connection).
    let watchdogMs = 60_000;
    let watchdog: ReturnType<typeof setTimeout> | undefined;
    const feed = () => {
      clearTimeout(watchdog);
      watchdog = setTimeout(() => {
        connection.abort();
        reader.cancel().catch(() => {});
      }, watchdogMs);
      (watchdog as { unref?: () => void }).unref?.();
    };
    feed();
    const decoder = new TextDecoder();
    let buffer = '';
    let ended: 'idle' | 'retry' = 'retry';
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        feed();
        buffer += decoder.decode(value, { stream: true }).replace(/\r\n?/g, '\n');
        let cut = buffer.indexOf('\n\n');
        while (cut !== -1) {
          const event = parseEvent(buffer.slice(0, cut));
          buffer = buffer.slice(cut + 2);
          cut = buffer.indexOf('\n\n');
          if (!event) continue;
          if (event.type === 'ready') {
            const heartbeatMs = Number((safeJson(event.data) as { heartbeatMs?: unknown })?.heartbeatMs);
            if (Number.isFinite(heartbeatMs) && heartbeatMs > 0) watchdogMs = heartbeatMs * 3;
            feed();
            this.#failures = 0;
            this.#setState('connected');
          } else if (event.type === 'change') {
            const notice = safeJson(event.data) as ChangeNotice | undefined;
            if (!notice || typeof notice.id !== 'number') continue;
            this.#lastEventId = notice.id;
            this.#call(() => this.handlers.onNotice?.(notice));
          } else if (event.type === 'reset') {
            this.#call(() => this.handlers.onReset?.());
          } else if (event.type === 'end') {
            const reason = (safeJson(event.data) as { reason?: unknown })?.reason;
            ended = reason === 'idle' ? 'idle' : 'retry';
          }
        }
      }
    } finally {
      clearTimeout(watchdog);
      reader.cancel().catch(() => {});
    }
    return ended;
  }

  #call(handler: () => void) {
    try {
      handler();
    } catch {
      // A listener's failure is its own.
    }
  }
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** One server-sent event block; comment-only blocks (heartbeats) are undefined. */
function parseEvent(block: string): { type: string; data: string } | undefined {
  let type = 'message';
  const data: string[] = [];
  let any = false;
  for (const line of block.split('\n')) {
    if (line === '' || line.startsWith(':')) continue;
    const colon = line.indexOf(':');
    const field = colon === -1 ? line : line.slice(0, colon);
    const value = colon === -1 ? '' : line.slice(colon + 1).replace(/^ /, '');
    if (field === 'event') type = value;
    else if (field === 'data') data.push(value);
    else continue;
    any = true;
  }
  return any ? { type, data: data.join('\n') } : undefined;
}
