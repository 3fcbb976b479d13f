import { readFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Options } from 'tsup';
import { packageBuild } from '../../tsup.base.ts';

type EsbuildPlugin = NonNullable<Options['esbuildPlugins']>[number];

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
// (which pulls in node:http). The `worker` condition selects that universal build.
export default packageBuild(
  { index: 'src/index.ts' },
  {
    noExternal: ['ofetch', 'destr', 'ufo', 'zod', 'lru-cache'],
    esbuildPlugins: [ofetchFactoryOnly],
    esbuildOptions(options) {
      options.conditions = ['worker'];
      // Maps still point stack traces at src/ lines; embedding every bundled source would triple the size.
      options.sourcesContent = false;
    },
  },
);
