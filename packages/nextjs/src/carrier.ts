/**
 * The process-wide (or isolate-wide) state of the adapter, kept on `globalThis` under a registered
 * symbol. Next compiles `next.config`, `instrumentation.ts`, route handlers and server components into
 * separate bundles, each of which may hold its own copy of this module; the carrier makes them share
 * one client, one set of loaded values and one in-flight load.
 *
 * @module
 */

/** What a runtime-specific loader returns: the secret values and a way to read them again. */
export interface LoadedSecrets {
  values: Readonly<Record<string, string>>;
  /** Lists the secrets again with the same (still logged-in) client. */
  reload: () => Promise<Readonly<Record<string, string>>>;
}

/** @internal The shared state. Never enumerable on `globalThis`, never printed. */
export interface KmsNextState {
  /** The first load (or the one in flight). Settles once; a failed load is kept so every caller sees it. */
  ready?: Promise<LoadedSecrets>;
  /** Values of the last successful load or refresh. */
  values?: Readonly<Record<string, string>>;
  /** When {@link values} was read, in ms since the epoch. */
  loadedAt?: number;
  /** Re-read the values after this many ms, on access (stale-while-revalidate). 0: never. */
  refreshInterval: number;
  /** Lists the secrets again with the loaded client (set by the load). */
  reload?: () => Promise<Readonly<Record<string, string>>>;
  /** The refresh in flight, if any. */
  refreshing?: Promise<void>;
  /** Options given to `withKms` / `registerKms`, used by a lazy load. */
  options?: Record<string, unknown>;
  /** Who started the load: `next.config`, `instrumentation` or `first access`. */
  startedBy?: string;
}

const KEY = Symbol.for('hanzo.kms.nextjs.v1');

/** @internal Returns the shared state, creating it on first use. */
export function carrier(): KmsNextState {
  const g = globalThis as unknown as Record<symbol, KmsNextState | undefined>;
  let state = g[KEY];
  if (!state) {
    state = { refreshInterval: 0 };
    Object.defineProperty(globalThis, KEY, { value: state, enumerable: false, configurable: true });
  }
  return state;
}

/** @internal Forgets everything (tests). */
export function resetCarrier(): void {
  delete (globalThis as unknown as Record<symbol, unknown>)[KEY];
}

const inspectSymbol = Symbol.for('nodejs.util.inspect.custom');

/** @internal A frozen copy of `values` that prints `[REDACTED]` for every value in logs and JSON. */
export function redacted(values: Record<string, string>): Readonly<Record<string, string>> {
  const copy: Record<string, string> = { ...values };
  const shown = () => Object.fromEntries(Object.keys(copy).map((k) => [k, '[REDACTED]']));
  Object.defineProperty(copy, inspectSymbol, { enumerable: false, value: shown });
  Object.defineProperty(copy, 'toJSON', { enumerable: false, value: shown });
  return Object.freeze(copy);
}
