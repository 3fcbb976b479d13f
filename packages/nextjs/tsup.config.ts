import type { Options } from 'tsup';
import { packageBuild } from '../../tsup.base.ts';

type Plugin = NonNullable<Options['esbuildPlugins']>[number];

/**
 * The edge build compiles the same entries as the Node build, with `runtime.ts` (which opens the
 * session through `@hanzo/kms-node`: credential files, `node:http`) replaced by `runtime.edge.ts`
 * (`@hanzo/kms-node/env`: no filesystem, the global `fetch`). One source for both runtimes.
 */
const edgeRuntime: Plugin = {
  name: 'edge-runtime',
  setup(build) {
    build.onResolve({ filter: /^\.\/runtime\.js$/ }, (args) => ({
      path: `${args.resolveDir}/runtime.edge.ts`,
    }));
  },
};

// Three builds into one dist/ (the build script empties it first):
// - the Node entries, ESM + CJS + types; `server-only` stays an import so Next's bundler resolves it;
// - the edge entries (`edge-light` condition), with the core SDK and `@hanzo/kms-node/env` bundled in
//   (both import no Node built-in, which the edge runtime refuses);
// - the `kms-next` CLI, ESM only (a bin, never required).
export default [
  packageBuild(
    { index: 'src/index.ts', server: 'src/server.ts', check: 'src/check.ts' },
    { clean: false, external: ['next', 'server-only'] },
  ),
  packageBuild(
    { 'index.edge': 'src/index.ts', 'server.edge': 'src/server.ts' },
    {
      clean: false,
      platform: 'neutral',
      external: ['next', 'server-only'],
      noExternal: ['@hanzo/kms', '@hanzo/kms-node'],
      esbuildPlugins: [edgeRuntime],
    },
  ),
  packageBuild({ cli: 'src/cli.ts' }, { format: ['esm'], clean: false, dts: false }),
];
