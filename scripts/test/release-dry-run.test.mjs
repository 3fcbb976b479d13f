// scripts/release.sh --dry-run (issue 22): builds and checks the six public packages and packs what
// would be published, with the registry pointed at a closed loopback port. Each tarball holds its
// built files and no workspace: range (pnpm pack rewrites them to exact versions, as publish does).
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, test } from 'node:test';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const out = mkdtempSync(join(tmpdir(), 'kms-release-'));
after(() => rmSync(out, { recursive: true, force: true }));

const published = {
  'hanzo-kms-0.1.0.tgz': 'package/dist/index.js',
  'hanzo-kms-node-0.1.0.tgz': 'package/dist/cli.js',
  'hanzo-kms-nextjs-0.1.0.tgz': 'package/dist/index.js',
  'hanzo-kms-nestjs-0.1.0.tgz': 'package/dist/index.js',
  'hanzo-kms-testing-0.1.0.tgz': 'package/dist/index.js',
  'hanzo-kms-server-0.1.0.tgz': 'package/dist/cli.js',
};

test('release --dry-run packs every public package offline, built and without workspace: ranges', {
  timeout: 900_000,
}, () => {
  const printed = execFileSync(join(root, 'scripts/release.sh'), ['--dry-run'], {
    cwd: root,
    encoding: 'utf8',
    env: { ...process.env, RELEASE_OUT: out, npm_config_registry: 'http://127.0.0.1:9/' },
  });
  assert.match(printed, /dry run: would publish/);
  for (const [tarball, builtFile] of Object.entries(published)) {
    const path = join(out, tarball);
    const files = execFileSync('tar', ['-tzf', path], { encoding: 'utf8' }).split('\n');
    assert.ok(files.includes(builtFile), `${tarball} lacks ${builtFile}`);
    const manifest = execFileSync('tar', ['-xzOf', path, 'package/package.json'], { encoding: 'utf8' });
    assert.doesNotMatch(manifest, /workspace:/, `${tarball} keeps a workspace: range`);
  }
});
