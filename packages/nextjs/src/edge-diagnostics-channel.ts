/**
 * @internal Stand-in for `node:diagnostics_channel` in the edge builds. The core SDK's bundled lru-cache
 * imports it at load time, and the edge runtime refuses Node modules; lru-cache only checks
 * `hasSubscribers`, so channels that never have subscribers are enough.
 *
 * @module
 */
const silent = { hasSubscribers: false, publish() {}, subscribe() {}, unsubscribe() {} };

/** A channel with no subscribers. */
export function channel(_name: string) {
  return silent;
}

/** A tracing channel with no subscribers. */
export function tracingChannel(_name: string) {
  return {
    ...silent,
    start: silent,
    end: silent,
    asyncStart: silent,
    asyncEnd: silent,
    error: silent,
    traceSync<T>(fn: () => T) {
      return fn();
    },
    tracePromise<T>(fn: () => Promise<T>) {
      return fn();
    },
  };
}
