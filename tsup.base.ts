import { defineConfig, type Options } from 'tsup';

/**
 * The one tsup configuration every published package builds with: ESM + CJS + types,
 * source maps, no minification (stack traces stay readable), Node 20 as the floor.
 */
export function packageBuild(entry: Record<string, string>, overrides: Options = {}) {
  return defineConfig({
    entry,
    format: ['esm', 'cjs'],
    dts: true,
    sourcemap: true,
    clean: true,
    target: 'node20',
    splitting: false,
    treeshake: true,
    ...overrides,
  });
}
