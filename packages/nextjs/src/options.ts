/**
 * The adapter's options and their validation. Connection settings are `@hanzo/kms-node`'s own options
 * (and the same `KMS_*` variables and credential files); the adapter adds three of its own.
 *
 * @module
 */
import type { KmsNodeOptions } from '@hanzo/kms-node';
import { closestName } from '@hanzo/kms';
import { KmsNextError } from './errors.js';

/** Options of {@link withKms} and {@link registerKms}. Every connection option falls back to its `KMS_*` variable. */
export interface KmsNextOptions extends KmsNodeOptions {
  /**
   * Fetch secrets during `next build` as well. Only for builds that truly need a secret (e.g. a page that
   * must be prerendered from a private API): whatever a prerendered page renders is written into the
   * build output and served as is. Prints a warning when used.
   * @default false
   */
  loadAtBuild?: boolean;
  /**
   * Also copy the secrets into the server's `process.env` (under `envMerge`), for code that reads
   * `process.env.X`. `getSecret()` works either way. Ignored on the edge runtime.
   * @default true
   */
  writeEnv?: boolean;
  /**
   * Re-read the secrets when they are older than this many milliseconds, on access (the current values
   * are served while the new ones load). `0` never re-reads. Refreshes never write `process.env`.
   * @default 0
   */
  refreshInterval?: number;
}

const adapterKeys = ['loadAtBuild', 'writeEnv', 'refreshInterval'] as const;
const stringKeys = [
  'siteUrl',
  'identityId',
  'jwtFile',
  'jwt',
  'clientId',
  'clientSecret',
  'projectId',
  'projectSlug',
  'environment',
  'secretPath',
  'credentialsDir',
] as const;
const booleanKeys = [
  'recursive',
  'includeImports',
  'expandSecretReferences',
  'loadAtBuild',
  'writeEnv',
] as const;
const knownKeys = new Set<string>([
  ...adapterKeys,
  ...stringKeys,
  ...booleanKeys,
  'bootTimeout',
  'envMerge',
  'authMethod',
  'env',
]);

function fail(caller: string, field: string, problem: string): never {
  throw new KmsNextError(`${caller}: option ${field} ${problem}`);
}

/**
 * @internal Checks options where they are written (next.config, instrumentation.ts), so a typo fails the
 * build or the start with the option's name. Never echoes a value of a credential option.
 */
export function checkOptions(caller: string, options: unknown): KmsNextOptions {
  if (options === undefined) return {};
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw new KmsNextError(`${caller}: options must be an object`);
  }
  const o = options as Record<string, unknown>;
  for (const key of Object.keys(o)) {
    if (!knownKeys.has(key)) {
      const hint = closestName(key, knownKeys);
      fail(caller, key, `is not an option of @hanzo/kms-nextjs${hint ? ` (did you mean ${hint}?)` : ''}`);
    }
  }
  for (const key of stringKeys) {
    const v = o[key];
    if (v !== undefined && (typeof v !== 'string' || v.trim() === ''))
      fail(caller, key, 'must be a non-empty string');
  }
  for (const key of booleanKeys) {
    if (o[key] !== undefined && typeof o[key] !== 'boolean') fail(caller, key, 'must be true or false');
  }
  if (o.siteUrl !== undefined && !/^https?:\/\/[^\s/]+/i.test(o.siteUrl as string)) {
    fail(caller, 'siteUrl', 'must be an http(s) URL');
  }
  if (o.secretPath !== undefined && !(o.secretPath as string).startsWith('/')) {
    fail(caller, 'secretPath', 'must start with /');
  }
  if (o.projectId !== undefined && o.projectSlug !== undefined) {
    fail(caller, 'projectId', 'and option projectSlug are both set; pass one of them');
  }
  const bootTimeout = o.bootTimeout;
  if (bootTimeout !== undefined && !(Number.isInteger(bootTimeout) && (bootTimeout as number) > 0)) {
    fail(caller, 'bootTimeout', 'must be a positive integer number of milliseconds');
  }
  const refresh = o.refreshInterval;
  if (refresh !== undefined && !(Number.isInteger(refresh) && (refresh as number) >= 0)) {
    fail(
      caller,
      'refreshInterval',
      'must be a non-negative integer number of milliseconds (0 disables refresh)',
    );
  }
  if (o.envMerge !== undefined && !['preserve', 'override', 'error'].includes(o.envMerge as string)) {
    fail(caller, 'envMerge', 'must be one of preserve, override, error');
  }
  if (o.env !== undefined && (typeof o.env !== 'object' || o.env === null))
    fail(caller, 'env', 'must be an object');
  return o as KmsNextOptions;
}

/** @internal Splits adapter options from the connection options `@hanzo/kms-node` understands. */
export function splitOptions(options: KmsNextOptions): {
  node: KmsNodeOptions;
  loadAtBuild: boolean;
  writeEnv: boolean;
  refreshInterval: number;
} {
  const { loadAtBuild = false, writeEnv = true, refreshInterval = 0, ...node } = options;
  return { node, loadAtBuild, writeEnv, refreshInterval };
}
