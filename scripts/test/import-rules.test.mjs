// The import rules of .dependency-cruiser.cjs (run on the repository by `pnpm run check:imports`)
// applied to a small workspace laid out here with one breach each: every rule must name its breach,
// and the same workspace without the breaches must pass, so a rule that stopped matching shows. The
// package diagram of docs/architecture.md is compared with the package.json files.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, test } from 'node:test';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const depcruise = join(root, 'node_modules', '.bin', 'depcruise');

function workspace(files) {
  const dir = mkdtempSync(join(tmpdir(), 'kms-import-rules-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const base = {
    'tsconfig.base.json': JSON.stringify({
      compilerOptions: { module: 'NodeNext', moduleResolution: 'NodeNext' },
    }),
    'packages/sdk/package.json': JSON.stringify({ name: '@hanzo/kms', type: 'module' }),
    'packages/sdk/src/index.ts': "export { a } from './a.js';\n",
    'packages/sdk/src/a.ts': 'export const a = 1;\n',
    'packages/sdk/test/a.test.ts': "import { a } from '../src/index.js';\nvoid a;\n",
    'reference-server/package.json': JSON.stringify({
      name: '@hanzo/kms-server',
      type: 'module',
      dependencies: { '@hanzo/kms': 'workspace:*' },
    }),
    'reference-server/src/index.ts': "import { a } from '@hanzo/kms';\nexport const b = a;\n",
    'reference-server/node_modules/@hanzo/kms/package.json': JSON.stringify({
      name: '@hanzo/kms',
      type: 'module',
      exports: { '.': './index.js' },
    }),
    'reference-server/node_modules/@hanzo/kms/index.js': 'export const a = 1;\n',
    'packages/sdk/node_modules/@hanzo/kms-server/package.json': JSON.stringify({
      name: '@hanzo/kms-server',
      type: 'module',
      exports: { '.': './index.js' },
    }),
    'packages/sdk/node_modules/@hanzo/kms-server/index.js': 'export const b = 1;\n',
  };
  for (const [path, text] of Object.entries({ ...base, ...files })) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
  return dir;
}

function check(dir) {
  const run = spawnSync(
    depcruise,
    [
      '--config',
      join(root, '.dependency-cruiser.cjs'),
      'packages/sdk/src',
      'packages/sdk/test',
      'reference-server/src',
    ],
    { cwd: dir, encoding: 'utf8' },
  );
  return { status: run.status, output: run.stdout + run.stderr };
}

test('a workspace that keeps the rules passes', () => {
  const result = check(workspace({}));
  assert.equal(result.status, 0, result.output);
});

test('an import cycle inside a package fails no-circular', () => {
  const result = check(
    workspace({
      'packages/sdk/src/a.ts': "import { c } from './c.js';\nexport const a = c;\n",
      'packages/sdk/src/c.ts':
        "import type { a } from './a.js';\nexport const c = 1;\nexport type A = typeof a;\n",
    }),
  );
  assert.notEqual(result.status, 0);
  assert.match(result.output, /no-circular: packages\/sdk\/src\/(a|c)\.ts/);
});

test("the SDK's source importing the server by name fails sdk-depends-on-no-workspace-package", () => {
  const result = check(
    workspace({ 'packages/sdk/src/a.ts': "export { b as a } from '@hanzo/kms-server';\n" }),
  );
  assert.notEqual(result.status, 0);
  assert.match(result.output, /sdk-depends-on-no-workspace-package: packages\/sdk\/src\/a\.ts/);
});

test("a test reaching into another package's folder by relative path fails no-relative-import-across-packages", () => {
  const result = check(
    workspace({
      'packages/sdk/test/a.test.ts': "import { b } from '../../../reference-server/src/index.js';\nvoid b;\n",
    }),
  );
  assert.notEqual(result.status, 0);
  assert.match(result.output, /no-relative-import-across-packages: packages\/sdk\/test\/a\.test\.ts/);
});

test("docs/architecture.md's package diagram draws exactly the package.json dependencies between the packages", () => {
  const doc = readFileSync(join(root, 'docs/architecture.md'), 'utf8');
  const section = doc.slice(doc.indexOf('## The packages and their one-way dependencies'));
  const diagram = section.slice(
    section.indexOf('```mermaid'),
    section.indexOf('```', section.indexOf('```mermaid') + 3),
  );
  const names = Object.fromEntries([...diagram.matchAll(/^\s*(\w+)\["([^<"]+)/gm)].map((m) => [m[1], m[2]]));
  const drawn = [...diagram.matchAll(/^\s*(\w+) (-->|-\.->) (\w+)\s*$/gm)].map(
    (m) => `${names[m[1]]} ${m[2] === '-->' ? 'dependencies' : 'devDependencies'} ${names[m[3]]}`,
  );
  const folders = [...readdirSync(join(root, 'packages')).map((p) => `packages/${p}`), 'reference-server'];
  const manifests = folders
    .filter((folder) => existsSync(join(root, folder, 'package.json')))
    .map((folder) => JSON.parse(readFileSync(join(root, folder, 'package.json'), 'utf8')));
  const workspace = new Set(manifests.map((m) => m.name));
  const declared = manifests.flatMap((m) =>
    ['dependencies', 'devDependencies'].flatMap((field) =>
      Object.keys(m[field] ?? {})
        .filter((dep) => workspace.has(dep))
        .map((dep) => `${m.name} ${field} ${dep}`),
    ),
  );
  assert.ok(drawn.length > 0, 'no arrow found in the diagram');
  assert.deepEqual([...drawn].sort(), [...declared].sort());
});
