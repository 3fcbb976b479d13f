import { packageBuild } from '../../tsup.base.ts';

// Three builds into one dist/. None cleans it (they run in parallel); the build script empties dist/ first.
// - the library (ESM + CJS + types), with zod/mini bundled so the only runtime dependency is @hanzo/kms,
//   and `env`, its configuration resolution without `node:` imports (edge runtimes);
// - `register` for `--import`: ESM only, because it blocks startup with top-level await, which CJS cannot;
// - `register.cjs` for `require`/`-r`: a CommonJS preload cannot wait for the network, so it explains that
//   and exits instead of letting the app start without its secrets;
// - the `kms` CLI: ESM only (a bin, never required).
const shared = { noExternal: ['zod'] };
export default [
  packageBuild(
    { index: 'src/index.ts', env: 'src/env.ts', internal: 'src/internal.ts' },
    { ...shared, clean: false },
  ),
  packageBuild(
    { register: 'src/register.ts', cli: 'src/cli.ts' },
    { ...shared, format: ['esm'], clean: false },
  ),
  packageBuild({ register: 'src/register-require.ts' }, { format: ['cjs'], clean: false }),
];
