// What the Edge Runtime evaluates (bundled by harness/edge.mjs the way Next bundles an edge route,
// with the `edge-light` condition): the SDK checks, and `getSecret` of @hanzo/kms-nextjs/server's
// edge build reading a secret.
import { getSecret } from '@hanzo/kms-nextjs/server';
import * as sdk from '../../../packages/sdk/dist/index.js';
import { runSdkScenario } from '../src/sdk-scenario.mjs';

globalThis.runMatrix = async (config) => {
  const passed = await runSdkScenario(sdk, config);
  for (const [key, value] of Object.entries(config.secrets))
    if ((await getSecret(key)) !== value) throw new Error(`check failed: getSecret reads ${key} back`);
  passed.push('nextjs-edge-getSecret');
  return { version: EdgeRuntime, passed };
};
