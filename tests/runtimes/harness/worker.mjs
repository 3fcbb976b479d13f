// Cloudflare workerd (through miniflare): a module worker that runs the SDK checks and a
// @hanzo/kms-node/env session when asked. The built SDK is one of the worker's modules, loaded as it
// is; the env entry comes bundled (test/matrix.test.ts makes kms-node-env.bundle.mjs, in memory); the
// config and the KMS_* variables come as bindings, a worker's own environment API.
import * as sdk from '../../../packages/sdk/dist/index.js';
import * as envEntry from './kms-node-env.bundle.mjs';
import { runEnvScenario } from '../src/env-scenario.mjs';
import { runSdkScenario } from '../src/sdk-scenario.mjs';

export default {
  async fetch(_request, env) {
    try {
      const config = JSON.parse(env.KMS_MATRIX);
      const passed = await runSdkScenario(sdk, config);
      const { KMS_MATRIX, ...variables } = env;
      passed.push(...(await runEnvScenario(envEntry, variables, config.secrets)));
      return Response.json({ version: navigator.userAgent, passed });
    } catch (error) {
      return Response.json({ error: String(error?.stack ?? error) }, { status: 500 });
    }
  },
};
