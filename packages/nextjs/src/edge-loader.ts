/**
 * The edge runtime's loader: the fetch-only core client, configured from options and the `KMS_*`
 * variables. Credential files cannot be read on the edge, and there is no `process.env` to fill.
 *
 * @module
 */
import { KmsClient } from '@hanzo/kms';
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

const nodeOnly = 'the edge runtime cannot read credential files';
const instead =
  "set it in the environment, or move this route to the Node runtime (export const runtime = 'nodejs')";

function pick(env: Record<string, string | undefined>, names: string[]): string | undefined {
  for (const name of names) {
    const value = env[name]?.trim();
    if (value) return value;
  }
  return undefined;
}

function bool(name: string, raw: string | undefined, fallback: boolean): boolean {
  if (raw === undefined || raw.trim() === '') return fallback;
  const v = raw.trim().toLowerCase();
  if (['1', 'true', 'yes', 'on'].includes(v)) return true;
  if (['0', 'false', 'no', 'off'].includes(v)) return false;
  throw new KmsNextError(`${name} must be true or false`);
}

function seconds(raw: string | undefined): number | undefined {
  if (!raw) return undefined;
  const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m)?\s*$/i.exec(raw);
  if (!m) throw new KmsNextError('KMS_BOOT_TIMEOUT must be a positive duration in seconds (e.g. 10, 500ms)');
  const unit = (m[2] ?? 's').toLowerCase();
  return Math.round(Number(m[1]) * (unit === 'ms' ? 1 : unit === 'm' ? 60_000 : 1000));
}

/**
 * @internal Edge loader. Reads the same variables as `@hanzo/kms-node` in the same order of precedence,
 * except the credential files, which need a filesystem.
 */
export async function loadOnEdge(options: KmsNextOptions): Promise<LoadedSecrets> {
  const { node } = splitOptions(options);
  const env = node.env ?? edgeEnvironment();
  const siteUrl = node.siteUrl ?? pick(env, ['KMS_SITE_URL']);
  if (!siteUrl) throw new KmsNextError(`KMS_SITE_URL is not set on the edge runtime: ${instead}`);
  const clientId = node.clientId ?? pick(env, ['KMS_CLIENT_ID', 'INFISICAL_UNIVERSAL_AUTH_CLIENT_ID']);
  const clientSecret =
    node.clientSecret ?? pick(env, ['KMS_CLIENT_SECRET', 'INFISICAL_UNIVERSAL_AUTH_CLIENT_SECRET']);
  if (!clientId) throw new KmsNextError(`KMS_CLIENT_ID is not set and ${nodeOnly}: ${instead}`);
  if (!clientSecret) throw new KmsNextError(`KMS_CLIENT_SECRET is not set and ${nodeOnly}: ${instead}`);
  const explicitProject = node.projectId !== undefined || node.projectSlug !== undefined;
  const projectId = explicitProject ? node.projectId : pick(env, ['KMS_PROJECT_ID']);
  const projectSlug = explicitProject ? node.projectSlug : pick(env, ['KMS_PROJECT_SLUG']);
  if (projectId && projectSlug)
    throw new KmsNextError('KMS_PROJECT_ID and KMS_PROJECT_SLUG are both set; set one of them');
  if (!projectId && !projectSlug)
    throw new KmsNextError('KMS_PROJECT_SLUG is not set, nor KMS_PROJECT_ID (which project to read)');
  const environment = node.environment ?? pick(env, ['KMS_ENVIRONMENT']);
  if (!environment) throw new KmsNextError('KMS_ENVIRONMENT is not set (the environment slug, e.g. prod)');
  const secretPath = node.secretPath ?? pick(env, ['KMS_SECRET_PATH']) ?? '/';
  const timeout = node.bootTimeout ?? seconds(pick(env, ['KMS_BOOT_TIMEOUT'])) ?? 10_000;
  const params = {
    ...(projectId ? { projectId } : { projectSlug: projectSlug! }),
    environment,
    secretPath,
    recursive: node.recursive ?? bool('KMS_RECURSIVE', env.KMS_RECURSIVE, false),
    includeImports: node.includeImports ?? bool('KMS_INCLUDE_IMPORTS', env.KMS_INCLUDE_IMPORTS, true),
    expandSecretReferences:
      node.expandSecretReferences ??
      bool('KMS_EXPAND_SECRET_REFERENCES', env.KMS_EXPAND_SECRET_REFERENCES, true),
  };
  const client = new KmsClient({ siteUrl, auth: { universalAuth: { clientId, clientSecret } }, timeout });
  const list = async () => {
    try {
      const { secrets } = await client.secrets.list(params, { signal: AbortSignal.timeout(timeout) });
      const values: Record<string, string> = {};
      for (const secret of secrets) values[secret.secretKey] = secret.secretValue;
      return values;
    } catch (error) {
      const message = (error instanceof Error ? error.message : String(error)).split('\n')[0];
      throw new KmsNextError(
        `could not load secrets on the edge runtime (project ${projectSlug ?? projectId}, environment ${environment}, path ${secretPath}): ${message}`,
        { cause: error },
      );
    }
  };
  return { values: await list(), reload: list };
}
