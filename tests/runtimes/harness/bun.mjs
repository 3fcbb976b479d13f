// Bun: the built @hanzo/kms and @hanzo/kms-node/env, configured through Bun.env (Bun's own API).
import { runEnvScenario } from '../src/env-scenario.mjs';
import { runSdkScenario } from '../src/sdk-scenario.mjs';

const config = JSON.parse(Bun.env.KMS_MATRIX);
const sdk = await import('../../../packages/sdk/dist/index.js');
const envEntry = await import('../../../packages/node/dist/env.js');
const passed = await runSdkScenario(sdk, config);
passed.push(...(await runEnvScenario(envEntry, Bun.env, config.secrets)));
// And without `env`: the entry's default reads `process.env`, which this runtime also provides.
passed.push(...(await runEnvScenario(envEntry, undefined, config.secrets)));
console.log(JSON.stringify({ version: Bun.version, passed, reportedAtMs: performance.now() }));
