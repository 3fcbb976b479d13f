import { readFileSync } from 'node:fs';
import { packageBuild } from '../../tsup.base.ts';

const { version } = JSON.parse(readFileSync(new URL('./package.json', import.meta.url), 'utf8')) as {
  version: string;
};

// zod/mini is bundled (a devDependency): the published package has no runtime dependencies, loads as
// one file and imports no Node built-in (edge runtimes).
export default packageBuild(
  // `internal`: helpers for the other packages of the family (src/internal.ts), not the public API.
  { index: 'src/index.ts', internal: 'src/internal.ts' },
  {
    noExternal: ['zod'],
    // SDK_VERSION (src/client-options.ts) is the package's version, never a second hand-kept copy.
    define: { __KMS_SDK_VERSION__: JSON.stringify(version) },
    esbuildOptions(options) {
      // Maps still point stack traces at src/ lines; embedding every bundled source would triple the size.
      options.sourcesContent = false;
    },
  },
);
