/**
 * A plain record of secret values that prints redacted in `console.log` and `util.inspect`, while
 * `Object.entries`, spreading and property reads see the values.
 *
 * @module
 */

const inspectSymbol = Symbol.for('nodejs.util.inspect.custom');

/** Adds a non-enumerable inspector to `values` that prints every value as `[REDACTED]`; returns `values`. */
export function redactedRecord<T extends Record<string, string>>(values: T): T {
  Object.defineProperty(values, inspectSymbol, {
    enumerable: false,
    value(this: Record<string, string>) {
      const shown: Record<string, string> = {};
      for (const key of Object.keys(this)) shown[key] = '[REDACTED]';
      return shown;
    },
  });
  return values;
}
