// The first ten minutes of a new user, on a fresh clone (issue 22): `git clone` of the committed HEAD,
// an empty HOME, pnpm offline on the machine's existing store, the registry unreachable. Then
// `scripts/run dev` until it prints the credentials, every command it printed run exactly as printed,
// and the README's "A real server, first run" block run as written (start, apply, kms run, restart
// with the saved key, read again). Started by scripts/test/fresh-clone.sh.
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, test } from 'node:test';
import { fileURLToPath } from 'node:url';

// Not a turbo task (the root test script runs it after turbo), so no turbo.json env entries.
const { KMS_TOOLCHAIN_DIR, KMS_FRESH_CLONE_NETNS } = process.env;
const repo = fileURLToPath(new URL('../..', import.meta.url));
const work = mkdtempSync(join(tmpdir(), 'kms-fresh-clone-'));
const clone = join(work, 'clone');
const home = join(work, 'home');
mkdirSync(home);

/** What a new user's shell has: a PATH, an empty HOME; pnpm told to use this machine's store, offline. */
const env = {
  PATH: process.env.PATH,
  HOME: home,
  TERM: 'dumb',
  // The toolchain and the package store already on this machine (a fresh HOME would download both).
  KMS_TOOLCHAIN_DIR: KMS_TOOLCHAIN_DIR ?? join(homedir(), '.cache/hanzo-kms-toolchain'),
  npm_config_store_dir: dirname(execFileSync('pnpm', ['store', 'path'], { encoding: 'utf8' }).trim()),
  npm_config_offline: 'true',
  // Any request that slipped through would fail at once instead of stalling.
  npm_config_registry: 'http://127.0.0.1:9/',
  TURBO_TELEMETRY_DISABLED: '1',
  DO_NOT_TRACK: '1',
};

/** Children started in their own process group, so a failure never leaves a server behind. */
const groups = new Set();
after(() => {
  for (const pid of groups) {
    try {
      process.kill(-pid, 'SIGKILL');
    } catch {}
  }
  rmSync(work, { recursive: true, force: true });
});

/** Runs `bash -c script` in `cwd`; resolves with its output, rejects with it on a non-zero exit or timeout. */
function bash(script, cwd, timeoutMs) {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', ['-c', script], {
      cwd,
      env,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    groups.add(child.pid);
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c) => (stdout += c));
    child.stderr.on('data', (c) => (stderr += c));
    const timer = setTimeout(() => process.kill(-child.pid, 'SIGKILL'), timeoutMs);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      groups.delete(child.pid);
      const result = { code, stdout, stderr };
      if (code === 0) resolve(result);
      else reject(new Error(`${script}\nexited ${code ?? signal}\nstdout:\n${stdout}\nstderr:\n${stderr}`));
    });
  });
}

const seconds = (from) => ((Date.now() - from) / 1000).toFixed(1);

test('fresh clone: scripts/run dev, its printed commands, then the README first run', async (t) => {
  const started = Date.now();
  execFileSync('git', ['clone', '--quiet', repo, clone]);

  // 1. scripts/run dev, until the banner is complete.
  const dev = spawn('scripts/run', ['dev'], {
    cwd: clone,
    env,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  groups.add(dev.pid);
  let devOut = '';
  let devErr = '';
  dev.stderr.on('data', (c) => (devErr += c));
  const banner = await new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`no credentials after 15 min:\n${devOut}\n${devErr}`)),
      900_000,
    );
    dev.stdout.on('data', (c) => {
      devOut += c;
      if (devOut.includes('Ctrl-C stops the server.')) {
        clearTimeout(timer);
        resolve(devOut);
      }
    });
    dev.on('exit', (code) => reject(new Error(`scripts/run dev exited ${code}:\n${devOut}\n${devErr}`)));
  });
  const toCredentials = seconds(started);
  // (pnpm still warns that it cannot link the workspace bins to dist files not built yet: nothing uses them.)
  assert.doesNotMatch(devErr, /ERR_PNPM/);

  // 2. Every command dev printed, exactly as printed, from the clone's root as the README says.
  const lines = banner.split('\n');
  const identity = lines.filter((l) => /^ {4}KMS_[A-Z_]+=\S+$/.test(l));
  assert.equal(identity.length, 6, banner);
  /** The indented lines under a banner heading: each one whole command. */
  const commandsUnder = (heading) => {
    const at = lines.findIndex((l) => l.startsWith(`  ${heading}`));
    assert.ok(at >= 0, `the banner has "${heading}":\n${banner}`);
    const commands = [];
    for (const line of lines.slice(at + 1)) {
      if (!line.startsWith('    ')) break;
      commands.push(line.trim());
    }
    return commands;
  };
  const commands = commandsUnder('Try it');
  assert.equal(commands.length, 3, banner);
  assert.doesNotMatch(banner, /<[a-z][^>]*>|…/, 'no placeholders');
  const [curlLine, runLine, exportLine] = commands;
  const listed = JSON.parse((await bash(curlLine, clone, 60_000)).stdout);
  assert.equal(listed.secrets.find((s) => s.secretKey === 'API_KEY_OWNER')?.secretValue, 'Hanzo KMS (dev)');
  assert.equal((await bash(runLine, clone, 120_000)).stdout, 'Hello from Hanzo KMS (dev)\n');
  assert.match((await bash(exportLine, clone, 120_000)).stdout, /^GREETING='Hello from Hanzo KMS \(dev\)'$/m);
  // "Your app, from its folder": that command in a folder holding an app.js.
  const [appLine] = commandsUnder('Your app');
  const app = join(work, 'app');
  mkdirSync(app);
  writeFileSync(join(app, 'app.js'), 'console.log(`app sees ${process.env.GREETING}`);\n');
  const appRun = await bash(appLine, app, 120_000);
  assert.equal(appRun.stdout, 'app sees Hello from Hanzo KMS (dev)\n');
  const toCommands = seconds(started);
  process.kill(-dev.pid, 'SIGINT');
  await new Promise((resolve) => (dev.exitCode !== null ? resolve() : dev.once('exit', resolve)));
  groups.delete(dev.pid);

  // 3. The README's first run, as written (the server README's kms.yaml is the file it applies).
  const readme = readFileSync(join(clone, 'README.md'), 'utf8');
  const block = /<!-- first-run -->\s*```sh\n([\s\S]*?)```/.exec(readme)?.[1];
  assert.ok(block, 'README.md has the first-run block');
  const serverReadme = readFileSync(join(clone, 'reference-server/README.md'), 'utf8');
  const yaml = /<!-- apply-example -->\s*```yaml\n([\s\S]*?)```/.exec(serverReadme)?.[1];
  assert.equal(yaml, readFileSync(join(clone, 'reference-server/kms.example.yaml'), 'utf8'));
  const firstRun = await bash(block, clone, 600_000);
  const reads = firstRun.stdout.split('\n').filter((l) => l === 'postgres://app@db.internal:5432/shop');
  assert.equal(reads.length, 2, `${firstRun.stdout}\n${firstRun.stderr}`);
  assert.match(firstRun.stdout, /root key written to .*kms-root\.key \(mode 600\)/);

  const figures = `fresh clone: clone -> credentials ${toCredentials} s; -> every printed command run ${toCommands} s; -> README first run done ${seconds(started)} s (network namespace: ${KMS_FRESH_CLONE_NETNS ? 'yes' : 'no'})`;
  t.diagnostic(figures);
  process.stderr.write(`${figures}\n`);
});
