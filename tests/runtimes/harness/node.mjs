// Node 20, 22 and 24: the built ESM entry of @hanzo/kms by file path, configured from KMS_MATRIX.
import { runSdkScenario } from '../src/sdk-scenario.mjs';

const config = JSON.parse(process.env.KMS_MATRIX);
const sdk = await import(new URL('../../../packages/sdk/dist/index.js', import.meta.url).href);
const passed = await runSdkScenario(sdk, config);
console.log(JSON.stringify({ version: process.versions.node, passed, reportedAtMs: performance.now() }));
