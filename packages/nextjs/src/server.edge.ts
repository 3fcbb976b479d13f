/**
 * `@hanzo/kms-nextjs/server` on the edge runtime (`edge-light` condition): the same functions, backed by
 * the fetch-only core client. Each isolate logs in and loads once; credential files are not available.
 *
 * @packageDocumentation
 */
import 'server-only';
import { edgeRuntime } from './runtime.edge.js';
import { createHandle, currentSecret, currentSecrets, type KmsHandle } from './store.js';

export { KmsNextError } from './errors.js';
export type { KmsHandle } from './store.js';

/** One secret's value (edge runtime). Throws a `KmsNextError` naming the key if it does not exist. */
export function getSecret(name: string): Promise<string> {
  return currentSecret(edgeRuntime, name);
}

/** All loaded secrets (edge runtime), frozen and printing `[REDACTED]`. */
export function getSecrets(): Promise<Readonly<Record<string, string>>> {
  return currentSecrets(edgeRuntime, 'getSecrets()');
}

/** The shared secrets of this edge isolate. */
export const kms: KmsHandle = createHandle(edgeRuntime);
