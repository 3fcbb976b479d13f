// Cloudflare workerd (through miniflare): a module worker that runs the SDK checks when asked. The
// built @hanzo/kms is one of the worker's modules, loaded as is; the config comes as a binding.
import * as sdk from '../../../packages/sdk/dist/index.js';
import { runSdkScenario } from '../src/sdk-scenario.mjs';

export default {
  async fetch(_request, env) {
    try {
      const passed = await runSdkScenario(sdk, JSON.parse(env.KMS_MATRIX));
      return Response.json({ version: navigator.userAgent, passed });
    } catch (error) {
      return Response.json({ error: String(error?.stack ?? error) }, { status: 500 });
    }
  },
};
