import { packageBuild } from '../../tsup.base.ts';

// Two builds into one dist/ (the build script empties it first; neither cleans, they run in parallel):
// - every ES entry in one build with code splitting, so the classes (`KmsBootError`, `SecretsSession`)
//   exist once, shared by `index`, `env`, `register` and the `kms` CLI through chunks. `register` must be
//   ESM (it blocks startup with top-level await) and the CLI is a bin, never required;
// - the CommonJS entries: `index`, `env` and `internal` (the adapters' shared option check) for `require`, and `register.cjs`, which explains that a
//   CommonJS preload cannot wait for the network and exits instead of starting the app without secrets.
//   Split too, so `index.cjs` and `env.cjs` share their classes as well.
export default [
  packageBuild(
    {
      index: 'src/index.ts',
      env: 'src/env-entry.ts',
      internal: 'src/internal.ts',
      register: 'src/register.ts',
      cli: 'src/cli.ts',
    },
    { format: ['esm'], clean: false, splitting: true },
  ),
  packageBuild(
    {
      index: 'src/index.ts',
      env: 'src/env-entry.ts',
      internal: 'src/internal.ts',
      register: 'src/register-require.ts',
    },
    { format: ['cjs'], clean: false, splitting: true },
  ),
];
