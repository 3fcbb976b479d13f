/**
 * The Node runtime's loader: configuration, client and deadline all come from `@hanzo/kms-node`, so the
 * adapter reads the same `KMS_*` variables and credential files as `kms run` and `--import` boot-loading.
 *
 * @module
 */
import {
  createClient,
  listValues,
  mergeIntoEnv,
  projectLabel,
  type ResolvedKmsConfig,
  resolveConfig,
  withBootDeadline,
} from '@hanzo/kms-node';
import type { LoadedSecrets } from './carrier.js';
import { KmsNextError } from './errors.js';
import { type KmsNextOptions, splitOptions } from './options.js';

const oneLine = (error: unknown) => (error instanceof Error ? error.message : String(error)).split('\n')[0];

/**
 * @internal Logs in, lists the secrets within the boot deadline and (unless `writeEnv: false`) merges them
 * into `process.env`. The client stays open: the SDK renews its token, and refreshes reuse it.
 */
export async function loadInNode(
  options: KmsNextOptions,
  startedBy = 'server start',
): Promise<LoadedSecrets> {
  const { node, writeEnv } = splitOptions(options);
  let config: ResolvedKmsConfig;
  try {
    config = resolveConfig(node);
  } catch (error) {
    throw new KmsNextError(`cannot load secrets: ${oneLine(error)}`, { cause: error });
  }
  const client = createClient(config);
  let values: Record<string, string>;
  try {
    values = await withBootDeadline(config, (signal) => listValues(client, config, signal));
  } catch (error) {
    void client.close().catch(() => {});
    throw new KmsNextError(`could not load secrets at ${startedBy}: ${oneLine(error)}`, { cause: error });
  }
  let written = '';
  if (writeEnv) {
    try {
      const report = mergeIntoEnv(process.env, values, config.envMerge);
      written = report.skipped.length
        ? `, ${report.skipped.length} kept from the environment (${report.skipped.join(', ')})`
        : '';
    } catch (error) {
      void client.close().catch(() => {});
      throw new KmsNextError(`could not merge secrets into process.env: ${oneLine(error)}`, { cause: error });
    }
  }
  console.log(
    `[@hanzo/kms-nextjs] loaded ${Object.keys(values).length} secrets (project ${projectLabel(config)}, environment ${config.environment}, path ${config.secretPath}) at ${startedBy}${written}`,
  );
  return {
    values,
    reload: async () => {
      try {
        return await withBootDeadline(config, (signal) => listValues(client, config, signal));
      } catch (error) {
        throw new KmsNextError(`could not refresh secrets: ${oneLine(error)}`, { cause: error });
      }
    },
  };
}
