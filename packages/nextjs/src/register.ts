/**
 * `registerKms()` for `instrumentation.ts` (Node runtime build of the entry).
 *
 * @module
 */
import { checkOptions, type KmsNextOptions } from './options.js';
import { isBuildPhase } from './phase.js';
import { runtime } from './runtime.js';
import { carrier, startLoad } from './store.js';

/**
 * Loads the secrets when the Next server starts; call it from `register()` in `instrumentation.ts`. Use it
 * where next.config is not evaluated at start (`output: 'standalone'`, serverless); with `withKms` in
 * next.config as well, the second call reuses the first load.
 *
 * Idempotent (one load per process), a no-op during `next build`. On the Node runtime it resolves once
 * the secrets are loaded and rejects with a one-line message if they cannot be; on the edge runtime it
 * only records the options, and each isolate loads on first access.
 *
 * ```ts
 * // instrumentation.ts
 * import { registerKms } from '@hanzo/kms-nextjs';
 * export async function register() {
 *   await registerKms();
 * }
 * ```
 */
export async function registerKms(options?: KmsNextOptions): Promise<void> {
  const checked = checkOptions('registerKms', options);
  if (isBuildPhase()) return;
  if (process.env.NEXT_RUNTIME === 'edge') {
    carrier().options ??= checked;
    return;
  }
  await startLoad(runtime, checked, 'instrumentation register()');
}
