/**
 * How the Node runtime opens the session: `@hanzo/kms-node` (credential files, `node:http`, and
 * `process.env` written unless `writeEnv: false`), background failures as one warning line.
 *
 * @module
 */
import { createSecretsSession } from '@hanzo/kms-node';
import type { KmsNextOptions } from './options.js';
import { type Runtime, warnRefreshFailed } from './store.js';

/** @internal */
export const nodeRuntime: Runtime = {
  open(options: KmsNextOptions) {
    const { loadAtBuild: _build, writeEnv = true, ...rest } = options;
    return createSecretsSession({ ...rest, writeEnv, onRefreshError: warnRefreshFailed });
  },
  announce: true,
};
