/**
 * `@hanzo/kms-node/internal`: building blocks the family's adapters share (`@hanzo/kms-nestjs`).
 * **Unstable**: not part of the public API, may change in any release; do not use it in apps.
 *
 * @packageDocumentation
 */
export { closeWithin } from './load-secrets.js';
