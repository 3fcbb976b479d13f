// The import rules of the workspace, checked by `pnpm run check:imports` (part of `scripts/run test`):
// no import cycle in any package, and the packages depend on each other in one direction only,
// the one docs/architecture.md draws. Workspace packages are imported by name (preserveSymlinks keeps
// the node_modules/@hanzo/… path, so a rule sees which package is used and through which door).
/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      comment: 'An import cycle inside a package: split the shared part into a module both import.',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
    {
      name: 'no-relative-import-across-packages',
      comment:
        "Another workspace package is reached by its name (declared in package.json), never by a relative path into its folder or its dist. reference-server/tools (the embedded PostgreSQL every package's tests share) is test tooling, not a package surface.",
      severity: 'error',
      from: { path: '^(packages/[^/]+|reference-server|examples/[^/]+|bench)/' },
      to: {
        path: '^(packages/[^/]+|reference-server|examples/[^/]+|bench)/',
        pathNot: ['^$1/', 'node_modules/', '^reference-server/tools/'],
      },
    },
    {
      name: 'sdk-depends-on-no-workspace-package',
      comment:
        '@hanzo/kms is the bottom of the graph: the server, kms-node and the adapters build on it, so it imports none of them (its tests reach the server through the workspace root devDependency, see docs/architecture.md).',
      severity: 'error',
      from: { path: '^packages/sdk/src/' },
      to: { path: 'node_modules/@hanzo/' },
    },
    {
      name: 'server-uses-only-the-sdk',
      comment:
        'The reference server uses the SDK (its `kms` key backend, `apply`), never kms-node, an adapter or the test kit.',
      severity: 'error',
      from: { path: '^reference-server/src/' },
      to: { path: 'node_modules/@hanzo/kms-' },
    },
    {
      name: 'node-uses-only-the-sdk',
      comment: 'kms-node builds on the SDK only; the adapters build on kms-node.',
      severity: 'error',
      from: { path: '^packages/node/src/' },
      to: { path: 'node_modules/@hanzo/kms-' },
    },
    {
      name: 'adapters-use-the-sdk-and-kms-node',
      comment:
        'An adapter adds its framework to kms-node and the SDK; it never imports another adapter, the server or the test kit.',
      severity: 'error',
      from: { path: '^packages/(nextjs|nestjs)/src/' },
      to: { path: 'node_modules/@hanzo/kms-(?!node/)' },
    },
    {
      name: 'test-kit-uses-only-the-server',
      comment: 'The test kit wraps the reference server; it does not depend on the clients it tests.',
      severity: 'error',
      from: { path: '^packages/testing/src/' },
      to: { path: 'node_modules/@hanzo/kms(-(?!server/)|/)' },
    },
    {
      name: 'src-uses-declared-dependencies',
      comment: "A package's source imports only packages its package.json lists.",
      severity: 'error',
      from: { path: '^(packages/[^/]+|reference-server)/src/' },
      to: { dependencyTypes: ['npm-no-pkg', 'npm-unknown'] },
    },
  ],
  options: {
    doNotFollow: { path: ['node_modules', '(^|/)dist/'] },
    exclude: { path: '(^|/)(docs-dist|site)/' },
    preserveSymlinks: true,
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.base.json' },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'types', 'node', 'default'],
    },
  },
};
