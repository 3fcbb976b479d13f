/**
 * Next's phase names, as in `next/constants` (copied so that this package never loads Next at runtime;
 * a test checks they match).
 *
 * @module
 */

/** `next build`. */
export const PHASE_PRODUCTION_BUILD = 'phase-production-build';
/** `next start`. */
export const PHASE_PRODUCTION_SERVER = 'phase-production-server';
/** `next dev`. */
export const PHASE_DEVELOPMENT_SERVER = 'phase-development-server';

/** @internal Set by `withKms({ loadAtBuild: true })` so build workers may load secrets too. */
export const LOAD_AT_BUILD_MARKER = 'KMS_NEXT_LOAD_AT_BUILD';

/** @internal True while `next build` runs (Next sets `NEXT_PHASE` for the build and its workers). */
export function isBuildPhase(): boolean {
  return process.env.NEXT_PHASE === PHASE_PRODUCTION_BUILD;
}

/** @internal True while `next build` runs without `loadAtBuild`: nothing may be loaded or read. */
export function isSecretFreeBuild(): boolean {
  return isBuildPhase() && process.env[LOAD_AT_BUILD_MARKER] !== '1';
}
