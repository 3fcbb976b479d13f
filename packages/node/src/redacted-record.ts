/**
 * A plain record of secret values that prints redacted in `console.log` and `util.inspect`, while
 * `Object.entries`, spreading and property reads see the values.
 *
 * @module
 */

const inspectSymbol = Symbol.for('nodejs.util.inspect.custom');

/**
 * Adds a non-enumerable `util.inspect` hook to `values` that prints every value as `[REDACTED]`, and
 * returns `values` itself (not a copy). Property reads, `Object.entries` and spreading still see the
 * values; a spread copy does not carry the hook. The adapters use it for the records they hand out.
 *
 * ```ts
 * console.log(redactedRecord({ DATABASE_URL: 'postgres://…' })); // { DATABASE_URL: '[REDACTED]' }
 * ```
 */
export function redactedRecord<T extends Record<string, unknown>>(values: T): T {
  Object.defineProperty(values, inspectSymbol, { enumerable: false, value: redactedView });
  return values;
}

function redactedView(this: Record<string, unknown>): Record<string, string> {
  const shown: Record<string, string> = {};
  for (const key of Object.keys(this)) shown[key] = '[REDACTED]';
  return shown;
}

/**
 * A frozen copy of `values` that prints `[REDACTED]` for every value in `util.inspect` **and**
 * `JSON.stringify`: what a session hands out as its current secrets, which apps pass around and log.
 * Property reads, `Object.entries` and spreading still see the values.
 */
export function sealedRecord<T extends Record<string, unknown>>(values: T): Readonly<T> {
  const copy = redactedRecord({ ...values });
  Object.defineProperty(copy, 'toJSON', { enumerable: false, value: redactedView });
  return Object.freeze(copy);
}
