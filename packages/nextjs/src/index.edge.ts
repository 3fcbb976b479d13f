/**
 * `@hanzo/kms-nextjs` on the edge runtime (`edge-light` condition): `registerKms` records the options and
 * each isolate loads on first access through the fetch-only core client.
 *
 * @packageDocumentation
 */
import { KmsNextError } from './errors.js';
import { checkOptions, type KmsNextOptions } from './options.js';
import { edgeRuntime } from './runtime.edge.js';
import { carrier, createHandle, type KmsHandle } from './store.js';

export { KmsNextError } from './errors.js';
export type { KmsNextOptions } from './options.js';
export { PHASE_DEVELOPMENT_SERVER, PHASE_PRODUCTION_BUILD, PHASE_PRODUCTION_SERVER } from './phase.js';
export type { KmsHandle } from './store.js';

/** Edge variant of `registerKms`: records the options; nothing is fetched until a secret is read. */
export async function registerKms(options?: KmsNextOptions): Promise<void> {
  const checked = checkOptions('registerKms', options);
  carrier().options ??= checked;
}

/** `withKms` belongs in next.config, which Next evaluates in Node, never on the edge runtime. */
export function withKms(): never {
  throw new KmsNextError('withKms runs in next.config (Node); it cannot be called on the edge runtime');
}

/** The shared secrets of this edge isolate. */
export const kms: KmsHandle = createHandle(edgeRuntime);
