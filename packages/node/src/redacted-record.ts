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
  Object.defineProperty(values, inspectSymbol, {
    enumerable: false,
    value(this: Record<string, unknown>) {
      const shown: Record<string, string> = {};
      for (const key of Object.keys(this)) shown[key] = '[REDACTED]';
      return shown;
    },
  });
  return values;
}
