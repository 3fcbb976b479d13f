import { packageBuild } from '../../tsup.base.ts';

// zod/mini is bundled (a devDependency): the published package has no runtime dependencies, loads as
// one file and imports no Node built-in (edge runtimes).
export default packageBuild(
  // `internal`: helpers for the other packages of the family (src/internal.ts), not the public API.
  { index: 'src/index.ts', internal: 'src/internal.ts' },
  {
    noExternal: ['zod'],
    esbuildOptions(options) {
      // Maps still point stack traces at src/ lines; embedding every bundled source would triple the size.
      options.sourcesContent = false;
    },
  },
);
