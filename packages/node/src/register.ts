/**
 * `node --import @hanzo/kms-node/register app.js` (or `NODE_OPTIONS="--import @hanzo/kms-node/register"`):
 * loads the secrets into `process.env` before the app's first line. Top-level await holds the main entry
 * until the secrets are in (or the process has exited with one line naming the cause).
 *
 * @module
 */
import { bootFromEnvironment } from './boot.js';

await bootFromEnvironment();
