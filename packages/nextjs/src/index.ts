/**
 * `@hanzo/kms-nextjs`: Hanzo KMS for Next.js. `withKms` for next.config, `registerKms` for
 * `instrumentation.ts`; secrets are read on the server through `@hanzo/kms-nextjs/server`.
 *
 * @packageDocumentation
 */
import { runtime } from './runtime.js';
import { createHandle, type KmsHandle } from './store.js';

export { KmsNextError } from './errors.js';
export type { KmsNextOptions } from './options.js';
export { PHASE_DEVELOPMENT_SERVER, PHASE_PRODUCTION_BUILD, PHASE_PRODUCTION_SERVER } from './phase.js';
export { registerKms } from './register.js';
export type { KmsHandle } from './store.js';
export {
  KMS_SERVER_EXTERNAL_PACKAGES,
  type KmsNextConfigFunction,
  type NextConfigContext,
  type NextConfigFunction,
  withKms,
} from './with-kms.js';

/** The shared secrets of this server process: `await kms.ready()` where code must not run before them. */
export const kms: KmsHandle = createHandle(runtime);
