import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { Options } from 'tsup';
import { packageBuild } from '../../tsup.base.ts';

type EsbuildPlugin = NonNullable<Options['esbuildPlugins']>[number];

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

/**
 * ofetch's universal entry creates a default instance at load time, reading `globalThis.Headers`, which makes
 * Node load its whole fetch implementation (undici) during `import`. The SDK only needs `createFetch`, and
 * resolves fetch at the first request, so the entry is reduced to that one re-export.
 */
const ofetchFactoryOnly: EsbuildPlugin = {
  name: 'ofetch-factory-only',
  setup(build) {
    build.onLoad({ filter: /[\\/]ofetch[\\/]dist[\\/]index\.mjs$/ }, async (args) => {
      const source = await readFile(args.path, 'utf8');
      const binding = source.match(/import \{ (\w+) as createFetch \} from '(\.\/shared\/[^']+)'/);
      if (!binding) return undefined; // unknown layout: bundle ofetch unchanged
      return {
        contents: `export { ${binding[1]} as createFetch } from '${binding[2]}';`,
        resolveDir: dirname(args.path),
        loader: 'js',
      };
    });
  },
};

// zod/mini, ofetch and lru-cache are bundled (they are devDependencies): the published package has no
// runtime dependencies, loads as one file, and ofetch's universal build is used instead of its Node build
// (which pulls in node:http). The `worker` condition selects that universal build. lru-cache is aliased to its
// browser build, which has no diagnostics_channel import, so the bundle imports no Node built-in (edge runtimes).
export default packageBuild(
  { index: 'src/index.ts' },
  {
    noExternal: ['ofetch', 'destr', 'ufo', 'zod', 'lru-cache'],
    esbuildPlugins: [ofetchFactoryOnly],
    esbuildOptions(options) {
      options.conditions = ['worker'];
      options.alias = { ...options.alias, 'lru-cache': lruCacheWithoutNodeBuiltins };
      // Maps still point stack traces at src/ lines; embedding every bundled source would triple the size.
      options.sourcesContent = false;
    },
  },
);
