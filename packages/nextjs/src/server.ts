/**
 * `@hanzo/kms-nextjs/server`: read secrets in route handlers, server components and server actions.
 * `server-only` makes importing this entry from a Client Component a build error.
 *
 * @packageDocumentation
 */
import 'server-only';
import { runtime } from './runtime.js';
import { createHandle, currentSecret, currentSecrets, type KmsHandle } from './store.js';

export { KmsNextError } from './errors.js';
export type { KmsHandle } from './store.js';

/**
 * One secret's value. Waits for the load started by `withKms` / `registerKms` (or starts it from the
 * `KMS_*` configuration). Throws a `KmsNextError` naming the key if it does not exist, and throws during
 * `next build` prerendering unless `loadAtBuild` is on (a value read there would be baked into the output).
 *
 * ```ts
 * import { getSecret } from '@hanzo/kms-nextjs/server';
 * const db = connect(await getSecret('DATABASE_URL'));
 * ```
 */
export function getSecret(name: string): Promise<string> {
  return currentSecret(runtime, name);
}

/** All loaded secrets, frozen; prints `[REDACTED]` for every value in logs and `JSON.stringify`. */
export function getSecrets(): Promise<Readonly<Record<string, string>>> {
  return currentSecrets(runtime, 'getSecrets()');
}

/** The shared secrets of this server process (same object as `kms` in the main entry). */
export const kms: KmsHandle = createHandle(runtime);
