/**
 * The scope of one logical call: its deadline, the caller's `AbortSignal` and the timeout of each HTTP
 * attempt, composed with `AbortSignal.any` and `AbortSignal.timeout` (Node ≥ 20.3, Bun, Deno, workerd;
 * the Edge Runtime lacks `AbortSignal.any`, so `anyOf` composes by hand there). The client opens one per call; the token manager waits inside it and the
 * transport runs its attempts and retry waits inside it. This is the one module of the SDK that starts
 * timers for a call and the one that unrefs timers ({@link unrefTimer}).
 *
 * @module
 */
import { KmsAbortError, type KmsRequestInfo, KmsTimeoutError } from './errors.js';

/** setTimeout's limit (2^31 − 1 ms, about 24.8 days): a longer delay would fire at once. */
export const MAX_TIMER_MS = 2_147_483_647;

/**
 * Lets `timer` not keep the process alive. Node, Bun and Deno timers have `unref`; browsers, workerd and
 * the Edge Runtime return a number and need nothing.
 */
export function unrefTimer(timer: ReturnType<typeof setTimeout>): void {
  (timer as { unref?: () => void }).unref?.();
}

/** The signal of one HTTP attempt, and whether its own timeout (not the call's) ended it. */
export interface AttemptSignal {
  /** Aborted by the caller, the call's deadline or the attempt's timeout. */
  readonly signal: AbortSignal;
  /** Whether the attempt's own timeout fired. */
  timedOut(): boolean;
}

/**
 * The deadline and cancellation of one logical call (login if one is needed, every attempt, every retry
 * wait). Without a budget it only follows the caller's signal.
 */
export class CallScope {
  /** Epoch ms by which the call must be over; `Infinity` without a deadline. */
  readonly endsAt: number;
  /** The deadline's length in ms (named in a {@link KmsTimeoutError}); `undefined` without a deadline. */
  readonly budget: number | undefined;
  /** Aborted as soon as the caller aborts or the deadline passes. */
  readonly signal: AbortSignal;
  readonly #caller: AbortSignal | undefined;
  readonly #deadline: AbortSignal | undefined;

  constructor(budget: number | undefined, callerSignal: AbortSignal | undefined) {
    this.budget = budget;
    this.endsAt = budget === undefined ? Number.POSITIVE_INFINITY : Date.now() + budget;
    this.#caller = callerSignal;
    // AbortSignal.timeout's timer never keeps Node alive; a budget past the timer limit is only
    // checked against the clock (remaining()).
    this.#deadline = budget !== undefined && budget <= MAX_TIMER_MS ? AbortSignal.timeout(budget) : undefined;
    this.signal = anyOf([callerSignal, this.#deadline]);
  }

  /** Milliseconds left before the deadline (`Infinity` without one). */
  remaining(): number {
    return this.endsAt - Date.now();
  }

  /** Whether the caller aborted (checked before the deadline: an abort is the caller's choice). */
  get callerAborted(): boolean {
    return this.#caller?.aborted === true;
  }

  /** Whether the deadline has passed. */
  get expired(): boolean {
    return this.#deadline?.aborted === true || this.remaining() <= 0;
  }

  /**
   * The signal of one attempt limited to `timeoutMs`: the scope's own signal when the deadline comes
   * first (one timer, not two), else composed with a timeout of its own.
   */
  attempt(timeoutMs: number): AttemptSignal {
    if (timeoutMs >= this.remaining() || timeoutMs > MAX_TIMER_MS) {
      return { signal: this.signal, timedOut: () => false };
    }
    const timeout = AbortSignal.timeout(timeoutMs);
    return { signal: anyOf([this.signal, timeout]), timedOut: () => timeout.aborted };
  }

  /**
   * Settles as `promise` does, or rejects with `failure()` as soon as `signal` (the scope's by default)
   * aborts: a hard bound even over work that does not honour the signal. `promise` is left to settle
   * on its own (its rejection is handled).
   */
  race<T>(promise: Promise<T>, failure: () => Error, signal: AbortSignal = this.signal): Promise<T> {
    if (signal.aborted) {
      promise.catch(() => undefined);
      return Promise.reject(failure());
    }
    return new Promise<T>((resolve, reject) => {
      const onAbort = () => reject(failure());
      signal.addEventListener('abort', onAbort, { once: true });
      promise.then(
        (value) => {
          signal.removeEventListener('abort', onAbort);
          resolve(value);
        },
        (error: unknown) => {
          signal.removeEventListener('abort', onAbort);
          reject(error);
        },
      );
    });
  }

  /**
   * Waits `ms` (a timer that keeps the process alive: a retry wait is work in progress), rejecting with
   * `failure()` as soon as the scope aborts.
   */
  sleep(ms: number, failure: () => Error): Promise<void> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const wait = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, ms);
    });
    return this.race(wait, failure).finally(() => clearTimeout(timer));
  }

  /**
   * What the call ended with: a {@link KmsAbortError} caused by the deadline, not by the caller, is a
   * {@link KmsTimeoutError} of kind `deadline` naming `request`.
   */
  explain(error: unknown, request: KmsRequestInfo): unknown {
    if (error instanceof KmsAbortError && this.budget !== undefined && this.expired && !this.callerAborted)
      return new KmsTimeoutError(request, this.budget, 'deadline');
    return error;
  }
}

/** A signal aborted by the first of `signals` to abort (the one signal itself when there is only one). */
function anyOf(signals: readonly (AbortSignal | undefined)[]): AbortSignal {
  const present = signals.filter((signal): signal is AbortSignal => signal !== undefined);
  if (present.length === 1) return present[0]!;
  // With no signal at all: one that never aborts.
  if (present.length === 0) return new AbortController().signal;
  if (typeof AbortSignal.any === 'function') return AbortSignal.any(present);
  // Vercel's Edge Runtime has AbortSignal.timeout but not AbortSignal.any (tests/runtimes runs it).
  const composite = new AbortController();
  const onAbort = (event: Event) => {
    for (const signal of present) signal.removeEventListener('abort', onAbort);
    composite.abort((event.target as AbortSignal).reason);
  };
  for (const signal of present) {
    if (signal.aborted) {
      composite.abort(signal.reason);
      break;
    }
    signal.addEventListener('abort', onAbort, { once: true });
  }
  if (composite.signal.aborted) for (const signal of present) signal.removeEventListener('abort', onAbort);
  return composite.signal;
}
