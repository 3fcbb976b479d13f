/**
 * `@hanzo/kms/internal`: helpers the other Hanzo KMS packages (kms-node, the adapters, the reference
 * server) share with the SDK. Not part of the public API: no semver promise, left out of the typedoc
 * reference (typedoc.json documents `src/index.ts` only).
 *
 * @internal
 * @module
 */
export { closestName } from './closest-name.js';
