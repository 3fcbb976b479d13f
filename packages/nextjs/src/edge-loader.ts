/**
 * The edge runtime's loader: the fetch-only core client, configured from options and the `KMS_*`
 * variables by `@hanzo/kms-node/env` (kms-node's resolution without `node:` imports). Credential files
 * cannot be read on the edge, and there is no `process.env` to fill.
 *
 * @module
 */
import { KmsClient } from '@hanzo/kms';
import {
  clientAuthOf,
  projectLabel,
  type ResolvedKmsConfig,
  resolveConfigFromEnv,
} from '@hanzo/kms-node/env';
import type { LoadedSecrets } from './carrier.js';
import { KmsNextError } from './errors.js';
import { type KmsNextOptions, splitOptions } from './options.js';

// Literal reads: edge bundles only receive the variables they name.
function edgeEnvironment(): Record<string, string | undefined> {
  return {
    KMS_SITE_URL: process.env.KMS_SITE_URL,
    KMS_CLIENT_ID: process.env.KMS_CLIENT_ID,
    KMS_CLIENT_SECRET: process.env.KMS_CLIENT_SECRET,
    INFISICAL_UNIVERSAL_AUTH_CLIENT_ID: process.env.INFISICAL_UNIVERSAL_AUTH_CLIENT_ID,
    INFISICAL_UNIVERSAL_AUTH_CLIENT_SECRET: process.env.INFISICAL_UNIVERSAL_AUTH_CLIENT_SECRET,
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

const instead =
  "set it in the environment, or move this route to the Node runtime (export const runtime = 'nodejs')";

/**
 * @internal Edge loader. Resolves the options and `KMS_*` variables with `@hanzo/kms-node/env`, the same
 * precedence, defaults and checks as the Node runtime, except the credential files, which need a
 * filesystem.
 */
export async function loadOnEdge(options: KmsNextOptions): Promise<LoadedSecrets> {
  const { node } = splitOptions(options);
  let config: ResolvedKmsConfig;
  let auth: ReturnType<typeof clientAuthOf>;
  try {
    config = resolveConfigFromEnv({ ...node, env: node.env ?? edgeEnvironment() });
    // No filesystem here: an OIDC token must come as a value (KMS_OIDC_JWT), not a file.
    auth = clientAuthOf(config);
  } catch (error) {
    const message = (error instanceof Error ? error.message : String(error)).split('\n')[0];
    throw new KmsNextError(`cannot load secrets on the edge runtime: ${message}; ${instead}`, {
      cause: error,
    });
  }
  const { siteUrl, projectId, projectSlug, environment, secretPath } = config;
  const params = {
    ...(projectId ? { projectId } : { projectSlug: projectSlug! }),
    environment,
    secretPath,
    recursive: config.recursive,
    includeImports: config.includeImports,
    expandSecretReferences: config.expandSecretReferences,
  };
  const timeout = config.bootTimeout;
  const client = new KmsClient({ siteUrl, auth, timeout });
  const list = async () => {
    try {
      const { secrets } = await client.secrets.list(params, { signal: AbortSignal.timeout(timeout) });
      const values: Record<string, string> = {};
      for (const secret of secrets) values[secret.secretKey] = secret.secretValue;
      return values;
    } catch (error) {
      const message = (error instanceof Error ? error.message : String(error)).split('\n')[0];
      throw new KmsNextError(
        `could not load secrets on the edge runtime (project ${projectLabel(config)}, environment ${environment}, path ${secretPath}): ${message}`,
        { cause: error },
      );
    }
  };
  return { values: await list(), reload: list };
}
