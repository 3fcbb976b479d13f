// Vercel's Edge Runtime (the `edge-runtime` package, the sandbox `next dev` and Vercel use for edge
// code): harness/edge-entry.mjs bundled as Next bundles an edge route (`edge-light` and
// `react-server` conditions, everything inlined), then evaluated in a fresh EdgeRuntime whose
// `process.env` holds the KMS_* variables, as Next's edge sandbox provides it.
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { EdgeRuntime } from 'edge-runtime';
import { build } from 'esbuild';
import { sessionVariables } from '../src/env-scenario.mjs';

const config = JSON.parse(process.env.KMS_MATRIX);
const bundled = await build({
  entryPoints: [fileURLToPath(new URL('./edge-entry.mjs', import.meta.url))],
  bundle: true,
  write: false,
  format: 'iife',
  platform: 'neutral',
  mainFields: ['module', 'main'],
  conditions: ['edge-light', 'react-server', 'worker', 'browser'],
  logLevel: 'silent',
});
const runtime = new EdgeRuntime({
  extend: (context) => Object.assign(context, { process: { env: sessionVariables(config) } }),
});
runtime.evaluate(bundled.outputFiles[0].text);
const result = await runtime.evaluate(`runMatrix(${JSON.stringify(config)})`);
const { version } = createRequire(import.meta.url)('edge-runtime/package.json');
console.log(JSON.stringify({ version, passed: [...result.passed], reportedAtMs: performance.now() }));
// The Next.js session keeps its refresh timer in the sandbox, as it would in a live isolate; a host
// tears the isolate down, this one-shot process does the same.
process.exit(0);
