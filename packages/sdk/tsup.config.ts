import { packageBuild } from '../../tsup.base.ts';

// zod/mini, ofetch and lru-cache are bundled (they are devDependencies): the published package has no
// runtime dependencies, loads as one file, and ofetch's universal build is used instead of its Node build
// (which pulls in node:http). The `worker` condition selects that universal build.
export default packageBuild(
  { index: 'src/index.ts' },
  {
    noExternal: ['ofetch', 'destr', 'ufo', 'zod', 'lru-cache'],
    esbuildOptions(options) {
      options.conditions = ['worker'];
    },
  },
);
