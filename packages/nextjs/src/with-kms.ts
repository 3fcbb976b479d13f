/**
 * `withKms(nextConfig)`: the one line in next.config.
 *
 * @module
 */
import type { NextConfig } from 'next';
import { KmsNextError } from './errors.js';
import { checkOptions, type KmsNextOptions } from './options.js';
import {
  LOAD_AT_BUILD_MARKER,
  PHASE_DEVELOPMENT_SERVER,
  PHASE_PRODUCTION_BUILD,
  PHASE_PRODUCTION_SERVER,
} from './phase.js';
import { runtime } from './runtime.js';
import { startLoad } from './store.js';

/** The context Next passes to a function config. */
export interface NextConfigContext {
  defaultConfig: NextConfig;
}

/** A next.config function (sync or async), as Next accepts it. */
export type NextConfigFunction = (
  phase: string,
  context: NextConfigContext,
) => NextConfig | PromiseLike<NextConfig>;

/** What {@link withKms} returns: an async config function, which Next calls with the phase and awaits. */
export type KmsNextConfigFunction = (phase: string, context: NextConfigContext) => Promise<NextConfig>;

/**
 * Packages kept out of the server bundles and loaded by Node, so instrumentation, route handlers and
 * server components share one module instance (and one token).
 */
export const KMS_SERVER_EXTERNAL_PACKAGES: readonly string[] = ['@hanzo/kms', '@hanzo/kms-node'];

function finalize(userConfig: NextConfig): NextConfig {
  if (typeof userConfig !== 'object' || userConfig === null) {
    throw new KmsNextError('withKms: the wrapped next.config must be (or return) an object');
  }
  const inlined = Object.keys(userConfig.env ?? {}).filter((name) => /^(KMS_|INFISICAL_)/.test(name));
  if (inlined.length) {
    throw new KmsNextError(
      `withKms: next.config env sets ${inlined.join(', ')}; everything in next.config env is inlined into browser JavaScript. Remove it and let the server read it from its environment.`,
    );
  }
  const external = [...(userConfig.serverExternalPackages ?? [])];
  for (const name of KMS_SERVER_EXTERNAL_PACKAGES) if (!external.includes(name)) external.push(name);
  return { ...userConfig, serverExternalPackages: external };
}

async function loadForPhase(phase: string, options: KmsNextOptions, config: NextConfig): Promise<void> {
  const building = phase === PHASE_PRODUCTION_BUILD;
  if (building && config.output === 'standalone') {
    console.warn(
      "[@hanzo/kms-nextjs] output: 'standalone' serialises next.config at build, so withKms cannot load secrets when server.js starts: call registerKms() from instrumentation.ts.",
    );
  }
  if (building && options.loadAtBuild) {
    console.warn(
      '[@hanzo/kms-nextjs] loadAtBuild is on: secrets are loaded during `next build`. Anything a prerendered page renders from them is written into .next and served as is; run `kms-next check` after the build.',
    );
    process.env[LOAD_AT_BUILD_MARKER] = '1';
  } else if (phase !== PHASE_PRODUCTION_SERVER && phase !== PHASE_DEVELOPMENT_SERVER) return;
  await startLoad(
    runtime,
    options,
    building ? 'next build' : phase === PHASE_DEVELOPMENT_SERVER ? 'next dev' : 'next start',
  );
}

/**
 * Wraps a next.config (an object, a function or an async function) so that the Next server loads the
 * project's secrets before it serves its first request.
 *
 * - `next dev` / `next start`: logs in and lists the secrets (configured by `options`, then the `KMS_*`
 *   variables, then the credential files in `/etc/kms/auth`), fills the shared store read by
 *   `getSecret()` and, unless `writeEnv: false`, the server's `process.env`. A failure stops the server
 *   with a one-line message.
 * - `next build`: fetches nothing (unless `loadAtBuild: true`), so a build needs no KMS access and no
 *   secret can be baked into its output.
 *
 * Secrets are never put into `nextConfig.env` or a `NEXT_PUBLIC_` variable; the KMS packages are added to
 * `serverExternalPackages`. Options are checked at once: a malformed option throws naming it.
 *
 * The result is a config function (Next passes the phase only to functions): your config comes back with
 * every key you set, plus `serverExternalPackages`.
 *
 * ```ts
 * // next.config.ts
 * import { withKms } from '@hanzo/kms-nextjs';
 * export default withKms({ reactStrictMode: true });
 * ```
 */
export function withKms(
  nextConfig: NextConfig | NextConfigFunction = {},
  options?: KmsNextOptions,
): KmsNextConfigFunction {
  const checked = checkOptions('withKms', options);
  if (typeof nextConfig !== 'function' && (typeof nextConfig !== 'object' || nextConfig === null)) {
    throw new KmsNextError('withKms: the first argument must be a next.config object or function');
  }
  return async (phase, context) => {
    const userConfig = typeof nextConfig === 'function' ? await nextConfig(phase, context) : nextConfig;
    const config = finalize(userConfig);
    await loadForPhase(phase, checked, config);
    return config;
  };
}
