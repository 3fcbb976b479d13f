// Deno: the built @hanzo/kms and @hanzo/kms-node/env by file path (the import map resolves the
// env entry's `@hanzo/kms` import to the same file, so nothing is fetched), configured through
// Deno.env (Deno's own API).
import { runEnvScenario } from '../src/env-scenario.mjs';
import { runSdkScenario } from '../src/sdk-scenario.mjs';

const config = JSON.parse(Deno.env.get('KMS_MATRIX'));
const sdk = await import('../../../packages/sdk/dist/index.js');
const envEntry = await import('../../../packages/node/dist/env.js');
const passed = await runSdkScenario(sdk, config);
passed.push(...(await runEnvScenario(envEntry, Deno.env.toObject(), config.secrets)));
// And without `env`: the entry's default reads `process.env`, which this runtime also provides.
passed.push(...(await runEnvScenario(envEntry, undefined, config.secrets)));
console.log(JSON.stringify({ version: Deno.version.deno, passed, reportedAtMs: performance.now() }));
