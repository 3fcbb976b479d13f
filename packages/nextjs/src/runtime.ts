/**
 * How the Node runtime opens the session: `@hanzo/kms-node` (credential files, `node:http`, and
 * `process.env` written unless `writeEnv: false`).
 *
 * @module
 */
import { createSecretsSession } from '@hanzo/kms-node';
import { sessionOptions } from './options.js';
import type { Runtime } from './store.js';

/** @internal */
export const runtime: Runtime = {
  open: (options) => createSecretsSession(sessionOptions(options, true)),
  announce: true,
};
