import { fileURLToPath } from 'node:url';
import type { Options } from 'tsup';
import { packageBuild } from '../../tsup.base.ts';

type EsbuildPlugin = NonNullable<Options['esbuildPlugins']>[number];

// The core SDK's build imports `diagnostics_channel` (from its bundled lru-cache), which the edge runtime
// refuses. The edge entries therefore bundle the SDK with that import pointed at a no-subscriber stand-in.
const edgeDiagnosticsChannel: EsbuildPlugin = {
  name: 'edge-diagnostics-channel',
  setup(build) {
    build.onResolve({ filter: /^(node:)?diagnostics_channel$/ }, () => ({
      path: fileURLToPath(new URL('./src/edge-diagnostics-channel.ts', import.meta.url)),
    }));
  },
};

// Three builds into one dist/ (the build script empties it first):
// - the Node entries, ESM + CJS + types; `server-only` stays an import so Next's bundler resolves it;
// - the edge entries (`edge-light` condition), with the core SDK and `@hanzo/kms-node/env` bundled as
//   described above;
// - the `kms-next` CLI, ESM only (a bin, never required).
export default [
  packageBuild(
    { index: 'src/index.ts', server: 'src/server.ts', check: 'src/check.ts' },
    { clean: false, external: ['next', 'server-only'] },
  ),
  packageBuild(
    { 'index.edge': 'src/index.edge.ts', 'server.edge': 'src/server.edge.ts' },
    {
      clean: false,
      platform: 'neutral',
      external: ['next', 'server-only'],
      noExternal: ['@hanzo/kms', '@hanzo/kms-node'],
      esbuildPlugins: [edgeDiagnosticsChannel],
    },
  ),
  packageBuild({ cli: 'src/cli.ts' }, { format: ['esm'], clean: false, dts: false }),
];
