/**
 * How SDK objects print: `util.inspect`, `console.log`, Deno's inspector and `JSON.stringify` show
 * `[REDACTED]` in place of secret values, client secrets and tokens. No `node:util` import is needed:
 * Node and Deno look these symbols up on the object.
 *
 * @module
 */

/** The text printed in place of a sensitive value. */
export const REDACTED = '[REDACTED]';

/** Node's `util.inspect.custom` symbol (registered globally, so no import of `node:util`). */
export const nodeInspectSymbol: unique symbol = Symbol.for('nodejs.util.inspect.custom') as never;
/** Deno's custom inspect symbol. */
export const denoInspectSymbol: unique symbol = Symbol.for('Deno.customInspect') as never;

type InspectFn = (value: unknown, options?: unknown) => string;

/**
 * Makes instances of `target` print `view(instance)` instead of their fields. `view` returns a plain
 * object in which sensitive fields are already replaced by {@link REDACTED}.
 */
export function printAs<T>(target: { prototype: T }, label: string, view: (self: T) => object): void {
  const proto = target.prototype as Record<PropertyKey, unknown>;
  Object.defineProperty(proto, nodeInspectSymbol, {
    value(this: T, _depth: number, options: unknown, inspect?: InspectFn) {
      const shown = view(this);
      if (typeof inspect !== 'function') return `${label} ${JSON.stringify(shown)}`;
      return `${label} ${inspect(shown, options)}`;
    },
  });
  Object.defineProperty(proto, denoInspectSymbol, {
    value(this: T, inspect?: InspectFn, options?: unknown) {
      const shown = view(this);
      return typeof inspect === 'function'
        ? `${label} ${inspect(shown, options)}`
        : `${label} ${JSON.stringify(shown)}`;
    },
  });
  Object.defineProperty(proto, 'toJSON', {
    value(this: T) {
      return view(this);
    },
  });
}
