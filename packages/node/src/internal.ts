/**
 * `@hanzo/kms-node/internal`: what the family's adapters (`@hanzo/kms-nextjs`, `@hanzo/kms-nestjs`)
 * share with this package and an application does not need: the one option check, so an adapter's
 * options fail with the same words as kms-node's, and the rules of the session's options it passes on.
 * Not a public API: it changes with the adapters, in any release, and is left out of the reference.
 * Runtime-neutral (no `node:` import), like `@hanzo/kms-node/env`.
 *
 * @packageDocumentation
 * @internal
 */
export { findOptionProblem, type OptionProblem } from './options.js';
export { sessionOptionRules } from './session.js';
export type { OptionRule } from './settings.js';
