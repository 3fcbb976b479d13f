import { packageBuild } from '../../tsup.base.ts';

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
    { 'index.edge': 'src/index.edge.ts', 'server.edge': 'src/server.edge.ts' },
    {
      clean: false,
      platform: 'neutral',
      external: ['next', 'server-only'],
      noExternal: ['@hanzo/kms', '@hanzo/kms-node'],
    },
  ),
  packageBuild({ cli: 'src/cli.ts' }, { format: ['esm'], clean: false, dts: false }),
];
