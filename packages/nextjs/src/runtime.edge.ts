/**
 * How the edge runtime opens the session: `@hanzo/kms-node/env` (no filesystem, the global `fetch`),
 * from options and the `KMS_*` variables. Nothing is written: there is no `process.env` to fill.
 *
 * @module
 */
import { createSecretsSession } from '@hanzo/kms-node/env';
import { KmsNextError } from './errors.js';
import { sessionOptions } from './options.js';
import type { Runtime } from './store.js';

/** @internal */
export const runtime: Runtime = {
  open(options) {
    try {
      return createSecretsSession(sessionOptions(options, false));
    } catch (error) {
      throw new KmsNextError(
        `cannot load secrets on the edge runtime: ${(error as Error).message}; set it in the environment, or move this route to the Node runtime (export const runtime = 'nodejs')`,
        { cause: error },
      );
    }
  },
  announce: false,
};
