// README.md, "Installing before the first release" (issue 22), run as printed: scripts/release.sh
// --dry-run packs the six packages (built, checked, no workspace: range left), scripts/local-registry.mjs
// serves them, and a scratch project installs them by name and runs the README's check.mjs (the test kit's
// server, a login and a list through @hanzo/kms and @hanzo/kms-node). No registry but loopback ones is
// reachable: the third-party packages come from a registry this file serves from the workspace lockfile,
// whose integrities pnpm finds in the store the workspace install filled (nothing is downloaded).
// Substituted in the printed commands: the tarball directory (a temp dir), and port 4873 when taken.
import assert from 'node:assert/strict';
import { execFile, execFileSync, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { createRequire } from 'node:module';
import { createServer as createNetServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);
const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const YAML = createRequire(join(root, 'reference-server', 'package.json'))('yaml');
const work = mkdtempSync(join(tmpdir(), 'kms-install-'));
const tarballs = join(work, 'tarballs');
const children = new Set();
const closers = [];
after(async () => {
  for (const child of children) child.kill('SIGKILL');
  for (const close of closers) await close();
  rmSync(work, { recursive: true, force: true });
});

const published = {
  'hanzo-kms-0.1.0.tgz': 'package/dist/index.js',
  'hanzo-kms-node-0.1.0.tgz': 'package/dist/cli.js',
  'hanzo-kms-nextjs-0.1.0.tgz': 'package/dist/index.js',
  'hanzo-kms-nestjs-0.1.0.tgz': 'package/dist/index.js',
  'hanzo-kms-testing-0.1.0.tgz': 'package/dist/index.js',
  'hanzo-kms-server-0.1.0.tgz': 'package/dist/cli.js',
};

/** The README section's fenced blocks, in order: pack + serve, pnpm, npm, check.mjs, run it. */
const section = readFileSync(join(root, 'README.md'), 'utf8').split(
  '## Installing before the first release',
)[1];
const blocks = [...(section?.split('\n## ')[0] ?? '').matchAll(/```(\w+)\n([\s\S]*?)```/g)].map((m) => m[2]);
assert.equal(blocks.length, 5, 'README.md: the install section has five fenced blocks');
const [packBlock, pnpmBlock, npmBlock, checkScript, runBlock] = blocks;
const [packLine, registryLine] = packBlock.trim().split('\n');
const commandOf = (line) => line.replace(/\s+#.*$/, '').trim();
const expectedCheck = runBlock.match(/#\s*(.+)$/m)?.[1];

function portIsFree(port) {
  return new Promise((resolve) => {
    const s = createNetServer();
    s.once('error', () => resolve(false));
    s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
  });
}

/** The printed command with the temp tarball dir and, when 4873 is taken here, another port. */
let port = 4873;
const printed = (command) =>
  command
    .replaceAll('/tmp/kms-tarballs', tarballs)
    .replaceAll('http://127.0.0.1:4873/', `http://127.0.0.1:${port}/`);

/**
 * A registry for the third-party packages, answering from the workspace lockfile: each name@version
 * it resolved, with its dependencies as resolved there and its integrity (which the store holds).
 * A tarball request is answered 404 and counted as a miss: a download would mean the store lacked it.
 */
async function startLockfileMirror() {
  const lock = YAML.parse(readFileSync(join(root, 'pnpm-lock.yaml'), 'utf8'));
  const nameVersion = (key) => {
    const bare = key.replace(/\(.*$/, '');
    const at = bare.lastIndexOf('@');
    return [bare.slice(0, at), bare.slice(at + 1)];
  };
  const specOf = (value) => {
    const bare = String(value).replace(/\(.*$/, '');
    // An alias (`string-width-cjs: string-width@4.2.3`) is written npm:name@version.
    return /^\d/.test(bare) ? bare : `npm:${bare}`;
  };
  const misses = [];
  const documents = new Map();
  const server = createServer((req, res) => {
    const name = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname).slice(1);
    const doc = documents.get(name);
    if (!doc) misses.push(name);
    res.writeHead(doc ? 200 : 404, { 'content-type': 'application/json' });
    res.end(JSON.stringify(doc ?? { error: 'not found' }));
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  closers.push(() => new Promise((resolve) => server.close(() => resolve())));
  const base = `http://127.0.0.1:${server.address().port}/`;
  for (const [key, pkg] of Object.entries(lock.packages ?? {})) {
    if (!pkg.resolution?.integrity || key.startsWith('@hanzo/')) continue;
    const [name, version] = nameVersion(key);
    const manifest = {
      name,
      version,
      dependencies: {},
      optionalDependencies: {},
      peerDependencies: pkg.peerDependencies,
      peerDependenciesMeta: pkg.peerDependenciesMeta,
      engines: pkg.engines,
      os: pkg.os,
      cpu: pkg.cpu,
      libc: pkg.libc,
      dist: { integrity: pkg.resolution.integrity, tarball: `${base}${name}/-/${version}.tgz` },
    };
    const doc = documents.get(name) ?? { name, 'dist-tags': {}, versions: {} };
    doc.versions[version] = manifest;
    doc['dist-tags'].latest = version;
    documents.set(name, doc);
  }
  for (const [key, snapshot] of Object.entries(lock.snapshots ?? {})) {
    const [name, version] = nameVersion(key);
    const manifest = documents.get(name)?.versions[version];
    if (!manifest) continue;
    for (const field of ['dependencies', 'optionalDependencies']) {
      for (const [dep, value] of Object.entries(snapshot[field] ?? {})) {
        if (!manifest.peerDependencies?.[dep]) manifest[field][dep] = specOf(value);
      }
    }
  }
  return { url: base, misses };
}

/** A new user's shell in a scratch project: no home config, an empty cache, the workspace's store. */
function scratchEnv(registry) {
  const home = join(work, `home-${Math.random().toString(36).slice(2)}`);
  mkdirSync(home);
  return {
    PATH: process.env.PATH,
    HOME: home,
    npm_config_registry: registry,
    npm_config_store_dir: dirname(execFileSync('pnpm', ['store', 'path'], { encoding: 'utf8' }).trim()),
    npm_config_cache_dir: join(home, 'pnpm-cache'),
    npm_config_cache: join(home, 'npm-cache'),
    npm_config_update_notifier: 'false',
    npm_config_audit: 'false',
    npm_config_fund: 'false',
    // A request that cannot be answered fails at once instead of after npm's retries.
    npm_config_fetch_retries: '0',
  };
}

/** Runs a printed command in bash; async, so the mirror in this process keeps answering. */
async function sh(command, cwd, env) {
  try {
    return (await run('bash', ['-c', command], { cwd, env, encoding: 'utf8', maxBuffer: 64 << 20 })).stdout;
  } catch (error) {
    throw new Error(`${command}\nexited ${error.code}\n${error.stdout}\n${error.stderr}`);
  }
}

test('README: pack the six packages offline, built and without workspace: ranges', {
  timeout: 900_000,
}, async () => {
  const out = await sh(printed(commandOf(packLine)), root, {
    ...process.env,
    npm_config_registry: 'http://127.0.0.1:9/',
  });
  assert.match(out, /dry run: would publish/);
  for (const [tarball, builtFile] of Object.entries(published)) {
    const path = join(tarballs, tarball);
    const files = execFileSync('tar', ['-tzf', path], { encoding: 'utf8' }).split('\n');
    assert.ok(files.includes(builtFile), `${tarball} lacks ${builtFile}`);
    const manifest = execFileSync('tar', ['-xzOf', path, 'package/package.json'], { encoding: 'utf8' });
    assert.doesNotMatch(manifest, /workspace:/, `${tarball} keeps a workspace: range`);
  }
});

test('README: serve the tarballs, install by name with pnpm, run check.mjs', {
  timeout: 600_000,
}, async () => {
  if (!(await portIsFree(port)))
    port = await new Promise((resolve) => {
      const s = createNetServer().listen(0, '127.0.0.1', () => {
        const { port: p } = s.address();
        s.close(() => resolve(p));
      });
    });
  const registry = spawn(
    'bash',
    ['-c', `exec ${printed(commandOf(registryLine))}${port === 4873 ? '' : ` --port ${port}`}`],
    {
      cwd: root,
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  children.add(registry);
  const banner = await new Promise((resolve, reject) => {
    let text = '';
    registry.stdout.on('data', (chunk) => {
      text += chunk;
      if (text.includes('\n')) resolve(text);
    });
    registry.stderr.on('data', (chunk) => (text += chunk));
    registry.once('exit', (code) => reject(new Error(`local registry exited ${code}: ${text}`)));
  });
  assert.match(banner, new RegExp(`@hanzo/kms-testing at http://127.0.0.1:${port}/`));

  const local = `http://127.0.0.1:${port}/`;
  const unknown = await fetch(`${local}left-pad`);
  assert.equal(unknown.status, 404);
  assert.match((await unknown.json()).error, /^left-pad is not in /);
  assert.equal((await fetch(`${local}%E0`)).status, 400);

  const mirror = await startLockfileMirror();
  const app = join(work, 'pnpm-app');
  mkdirSync(app);
  const env = scratchEnv(mirror.url);
  await sh(printed(commandOf(pnpmBlock)), app, env);
  assert.deepEqual(mirror.misses, [], 'pnpm asked the third-party registry for a package it does not hold');
  const manifest = JSON.parse(readFileSync(join(app, 'package.json'), 'utf8'));
  assert.deepEqual(Object.keys(manifest.dependencies).sort(), [
    '@hanzo/kms',
    '@hanzo/kms-node',
    '@hanzo/kms-testing',
  ]);
  assert.equal(manifest.pnpm, undefined, 'no overrides');
  const lockfile = readFileSync(join(app, 'pnpm-lock.yaml'), 'utf8');
  assert.doesNotMatch(lockfile, /@hanzo\/[\w-]+@file:/, 'a @hanzo package installed from a file');
  assert.match(
    lockfile,
    new RegExp(`tarball: http://127.0.0.1:${port}/@hanzo/kms-server/-/hanzo-kms-server-0.1.0.tgz`),
  );
  assert.deepEqual(readdirSync(join(app, 'node_modules', '@hanzo')).sort(), [
    'kms',
    'kms-node',
    'kms-testing',
  ]);

  writeFileSync(join(app, 'check.mjs'), checkScript);
  const printedByCheck = (await sh(commandOf(runBlock), app, env)).trim();
  assert.equal(printedByCheck, expectedCheck);
  assert.doesNotMatch(printedByCheck, /hello/, 'check.mjs prints names, never a value');
});

// npm cannot be served the third-party packages here: its cache is empty on these machines and the
// store holds no tarballs to hand it. So npm runs the README's line for the two packages that have no
// third-party dependency, which is enough to show it takes @hanzo/kms-node's dependency on @hanzo/kms
// from the local registry too; the server and test kit are installed by the pnpm test above.
test('README: install by name with npm (the packages without third-party dependencies)', {
  timeout: 300_000,
}, async () => {
  const line = printed(commandOf(npmBlock));
  assert.match(line, / @hanzo\/kms @hanzo\/kms-node @hanzo\/kms-testing$/);
  const app = join(work, 'npm-app');
  mkdirSync(app);
  const env = scratchEnv('http://127.0.0.1:9/');
  await sh(line.replace(/ @hanzo\/kms-testing$/, ''), app, env);
  const lock = JSON.parse(readFileSync(join(app, 'package-lock.json'), 'utf8'));
  for (const name of ['@hanzo/kms', '@hanzo/kms-node']) {
    assert.equal(
      lock.packages[`node_modules/${name}`]?.resolved,
      `http://127.0.0.1:${port}/${name}/-/${name.replace('@hanzo/', 'hanzo-')}-0.1.0.tgz`,
    );
  }
  const loaded = await sh(
    `node --input-type=module -e "const { KmsClient } = await import('@hanzo/kms'); const { fetchSecrets } = await import('@hanzo/kms-node'); console.log(typeof KmsClient, typeof fetchSecrets)"`,
    app,
    env,
  );
  assert.equal(loaded.trim(), 'function function');
});

test('each package README says it is not on the registry and points at the tested commands', () => {
  const flag = pnpmBlock.match(/--@hanzo:registry=\S+/)?.[0];
  assert.ok(flag, 'README.md: the pnpm line sets the @hanzo registry');
  for (const dir of [
    'packages/sdk',
    'packages/node',
    'packages/nextjs',
    'packages/nestjs',
    'packages/testing',
    'reference-server',
  ]) {
    const { name } = JSON.parse(readFileSync(join(root, dir, 'package.json'), 'utf8'));
    const paragraph = readFileSync(join(root, dir, 'README.md'), 'utf8')
      .split('**Not on the registry yet.**')[1]
      ?.split('\n\n')[0];
    assert.ok(paragraph, `${dir}/README.md has no "Not on the registry yet" paragraph`);
    assert.ok(paragraph.includes(`\`${name}\``), `${dir}/README.md: the paragraph does not name ${name}`);
    assert.ok(paragraph.includes(`\`${flag}\``), `${dir}/README.md: the paragraph does not show ${flag}`);
    assert.match(paragraph, /README\.md#installing-before-the-first-release\)/);
  }
});
