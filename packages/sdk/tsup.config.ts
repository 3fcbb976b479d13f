import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { packageBuild } from '../../tsup.base.ts';

/** lru-cache's platform-neutral ESM build (its Node build imports `diagnostics_channel`). */
const lruCacheWithoutNodeBuiltins = join(
  // The package's own entry resolves to dist/<format>/node/index.js; its browser build sits beside dist/.
  createRequire(import.meta.url)
    .resolve('lru-cache')
    .replace(/[\\/]dist[\\/].*$/, ''),
  'dist/esm/browser/index.js',
);
if (!existsSync(lruCacheWithoutNodeBuiltins)) {
  throw new Error(
    `lru-cache layout changed: ${lruCacheWithoutNodeBuiltins} is missing; update tsup.config.ts`,
  );
}

// zod/mini and lru-cache are bundled (they are devDependencies): the published package has no runtime
// dependencies and loads as one file. lru-cache is aliased to its browser build, which has no
// diagnostics_channel import, so the bundle imports no Node built-in (edge runtimes).
export default packageBuild(
  { index: 'src/index.ts' },
  {
    noExternal: ['zod', 'lru-cache'],
    esbuildOptions(options) {
      options.alias = { ...options.alias, 'lru-cache': lruCacheWithoutNodeBuiltins };
      // Maps still point stack traces at src/ lines; embedding every bundled source would triple the size.
      options.sourcesContent = false;
    },
  },
);
