/**
 * How the edge runtime opens the session: `@hanzo/kms-node/env` (no filesystem, the global `fetch`),
 * from options and the `KMS_*` variables read literally (edge bundles only receive the variables they
 * name). Nothing is written: there is no `process.env` to fill.
 *
 * @module
 */
import { createSecretsSession } from '@hanzo/kms-node/env';
import { KmsNextError } from './errors.js';
import type { KmsNextOptions } from './options.js';
import { type Runtime, warnRefreshFailed } from './store.js';

function edgeEnvironment(): Record<string, string | undefined> {
  return {
    KMS_SITE_URL: process.env.KMS_SITE_URL,
    KMS_AUTH_METHOD: process.env.KMS_AUTH_METHOD,
    KMS_CLIENT_ID: process.env.KMS_CLIENT_ID,
    KMS_CLIENT_SECRET: process.env.KMS_CLIENT_SECRET,
    INFISICAL_UNIVERSAL_AUTH_CLIENT_ID: process.env.INFISICAL_UNIVERSAL_AUTH_CLIENT_ID,
    INFISICAL_UNIVERSAL_AUTH_CLIENT_SECRET: process.env.INFISICAL_UNIVERSAL_AUTH_CLIENT_SECRET,
    KMS_IDENTITY_ID: process.env.KMS_IDENTITY_ID,
    KMS_OIDC_JWT: process.env.KMS_OIDC_JWT,
    KMS_PROJECT_ID: process.env.KMS_PROJECT_ID,
    KMS_PROJECT_SLUG: process.env.KMS_PROJECT_SLUG,
    KMS_ENVIRONMENT: process.env.KMS_ENVIRONMENT,
    KMS_SECRET_PATH: process.env.KMS_SECRET_PATH,
    KMS_RECURSIVE: process.env.KMS_RECURSIVE,
    KMS_INCLUDE_IMPORTS: process.env.KMS_INCLUDE_IMPORTS,
    KMS_EXPAND_SECRET_REFERENCES: process.env.KMS_EXPAND_SECRET_REFERENCES,
    KMS_BOOT_TIMEOUT: process.env.KMS_BOOT_TIMEOUT,
  };
}

/** @internal */
export const edgeRuntime: Runtime = {
  open(options: KmsNextOptions) {
    const { loadAtBuild: _build, writeEnv: _env, ...rest } = options;
    try {
      return createSecretsSession({
        ...rest,
        env: rest.env ?? edgeEnvironment(),
        onRefreshError: warnRefreshFailed,
      });
    } catch (error) {
      throw new KmsNextError(
        `cannot load secrets on the edge runtime: ${(error as Error).message}; set it in the environment, or move this route to the Node runtime (export const runtime = 'nodejs')`,
        { cause: error },
      );
    }
  },
  announce: false,
};
