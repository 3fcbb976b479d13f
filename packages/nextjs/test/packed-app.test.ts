// withKms in an app outside this workspace, installed the way users install it: from the packed
// tarballs, with `@hanzo/kms-nextjs` its only KMS dependency, by pnpm (strict node_modules). The app
// builds with KMS unreachable and serves secrets when started; `@hanzo/kms` and `@hanzo/kms-node` are
// resolved through `@hanzo/kms-nextjs`, not by the app.
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import {
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  realpathSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import YAML from 'yaml';
import { type KmsTestServer, startKmsTestServer } from '@hanzo/kms-testing';
import { afterAll, beforeAll, expect, it } from 'vitest';

const run = promisify(execFile);
const packagesDir = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const workDir = mkdtempSync(join(tmpdir(), 'kms-next-packed-'));
const appDir = join(workDir, 'app');
const nextVersion = JSON.parse(readFileSync(join(packagesDir, 'nextjs', 'package.json'), 'utf8'))
  .devDependencies.next as string;

interface Lockfile {
  importers: Record<string, { dependencies?: Record<string, { specifier: string; version: string }> }>;
  packages?: Record<string, unknown>;
  snapshots?: Record<string, unknown>;
  [key: string]: unknown;
}
const workspaceLock = YAML.parse(readFileSync(join(packagesDir, '..', 'pnpm-lock.yaml'), 'utf8')) as Lockfile;
/** next, react and react-dom as the workspace lockfile resolved them for examples/nextjs-app. */
const workspaceApp = workspaceLock.importers['examples/nextjs-app']?.dependencies ?? {};
const appLockfile = () => YAML.parse(readFileSync(join(appDir, 'pnpm-lock.yaml'), 'utf8')) as Lockfile;
const writeAppLockfile = (lock: Lockfile) =>
  writeFileSync(join(appDir, 'pnpm-lock.yaml'), YAML.stringify(lock));

let kms: KmsTestServer;
let server: ChildProcess | undefined;
let buildOutput = '';

async function pack(pkg: string): Promise<string> {
  const { stdout } = await run('pnpm', ['pack', '--pack-destination', workDir], {
    cwd: join(packagesDir, pkg),
  });
  return stdout.trim().split('\n').pop() as string;
}

function write(path: string, text: string) {
  mkdirSync(dirname(join(appDir, path)), { recursive: true });
  writeFileSync(join(appDir, path), text);
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
    s.on('error', reject);
  });
}

beforeAll(async () => {
  const [sdk, node, nextjs] = [await pack('sdk'), await pack('node'), await pack('nextjs')];
  write(
    'package.json',
    JSON.stringify({
      name: 'scratch-next-app',
      private: true,
      type: 'module',
      dependencies: {
        '@hanzo/kms-nextjs': `file:${nextjs}`,
        next: nextVersion,
        react: '19.2.9',
        'react-dom': '19.2.9',
      },
      // The core packages are not on the registry: point their versions at the tarballs. server-only
      // (kms-nextjs's one registry dependency) is the copy the workspace install put in its store.
      pnpm: {
        overrides: {
          '@hanzo/kms': `file:${sdk}`,
          '@hanzo/kms-node': `file:${node}`,
          'server-only': `file:${realpathSync(join(packagesDir, 'nextjs', 'node_modules', 'server-only'))}`,
        },
      },
    }),
  );
  write('next.config.mjs', "import { withKms } from '@hanzo/kms-nextjs';\nexport default withKms({});\n");
  write(
    'app/layout.jsx',
    'export default function Layout({ children }) { return <html><body>{children}</body></html>; }\n',
  );
  write(
    'app/page.jsx',
    "import { getSecret } from '@hanzo/kms-nextjs/server';\nimport { connection } from 'next/server';\n" +
      "export default async function Page() { await connection(); return <p>{await getSecret('GREETING')}</p>; }\n",
  );
  write(
    'app/api/secret/route.js',
    "import { getSecret } from '@hanzo/kms-nextjs/server';\nexport const dynamic = 'force-dynamic';\n" +
      "export async function GET() { return Response.json({ greeting: await getSecret('GREETING'), fromEnv: process.env.GREETING }); }\n",
  );
  // No registry: `--offline` from the store the workspace's frozen install filled. An offline install
  // cannot resolve a version (that needs registry metadata), so everything from the registry keeps the
  // resolution the workspace lockfile gave it: a lockfile seeded with it, a lockfile-only pass that adds
  // the tarballs (local, nothing to resolve), next put back on the workspace's exact entry (the
  // offline pass drops optional dependencies such as its native compiler), then a frozen install.
  const seeded: (readonly [string, { specifier: string; version: string }])[] = (
    ['next', 'react', 'react-dom'] as const
  ).map((name) => {
    const entry = workspaceApp[name];
    if (!entry) throw new Error(`the workspace lockfile has no ${name} for examples/nextjs-app`);
    return [name, entry] as const;
  });
  writeAppLockfile({
    lockfileVersion: workspaceLock.lockfileVersion,
    settings: workspaceLock.settings,
    importers: { '.': { dependencies: Object.fromEntries(seeded) } },
    packages: workspaceLock.packages,
    snapshots: workspaceLock.snapshots,
  });
  const offline = ['--offline', '--ignore-workspace', '--reporter=silent'];
  await run('pnpm', ['install', '--lockfile-only', ...offline], { cwd: appDir });
  const workspaceNext = Object.fromEntries(seeded).next?.version as string;
  const resolvedNext = appLockfile().importers['.']?.dependencies?.next?.version as string;
  const lock = YAML.parse(
    readFileSync(join(appDir, 'pnpm-lock.yaml'), 'utf8').split(resolvedNext).join(workspaceNext),
  ) as Lockfile;
  writeAppLockfile({
    ...lock,
    packages: { ...lock.packages, ...workspaceLock.packages },
    snapshots: { ...lock.snapshots, ...workspaceLock.snapshots },
  });
  await run('pnpm', ['install', '--frozen-lockfile', ...offline], { cwd: appDir });
  kms = await startKmsTestServer({ secrets: { dev: { '/': { GREETING: 'hello from a packed install' } } } });
  const env = {
    PATH: process.env.PATH,
    NODE_ENV: 'production' as const,
    NEXT_TELEMETRY_DISABLED: '1',
    KMS_CREDENTIALS_DIR: join(workDir, 'none'),
  };
  const build = await run(process.execPath, ['node_modules/next/dist/bin/next', 'build'], {
    cwd: appDir,
    env: { ...env, KMS_SITE_URL: 'http://127.0.0.1:9', KMS_CLIENT_ID: 'x', KMS_CLIENT_SECRET: 'y' },
  });
  buildOutput = build.stdout + build.stderr;
}, 240_000);

afterAll(async () => {
  server?.kill('SIGTERM');
  await kms?.close();
  rmSync(workDir, { recursive: true, force: true });
});

it('installs with @hanzo/kms-nextjs as the app\u2019s only KMS package, and builds with KMS unreachable', () => {
  expect(readdirSync(join(appDir, 'node_modules', '@hanzo'))).toEqual(['kms-nextjs']);
  expect(buildOutput).not.toMatch(/Module not found|Can't resolve|deprecated/i);
});

it('serves the secrets when started', async () => {
  const port = await freePort();
  const child = spawn(
    process.execPath,
    ['node_modules/next/dist/bin/next', 'start', '-p', String(port), '-H', '127.0.0.1'],
    {
      cwd: appDir,
      env: {
        PATH: process.env.PATH,
        NODE_ENV: 'production',
        NEXT_TELEMETRY_DISABLED: '1',
        KMS_CREDENTIALS_DIR: join(workDir, 'none'),
        KMS_SITE_URL: kms.url,
        KMS_CLIENT_ID: kms.clientId,
        KMS_CLIENT_SECRET: kms.clientSecret,
        KMS_PROJECT_SLUG: kms.projectSlug,
        KMS_ENVIRONMENT: 'dev',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  server = child;
  let output = '';
  child.stdout?.on('data', (d) => (output += d));
  child.stderr?.on('data', (d) => (output += d));
  const url = `http://127.0.0.1:${port}`;
  let answer: Response | undefined;
  for (let i = 0; i < 120 && !answer; i++) {
    answer = await fetch(`${url}/api/secret`).catch(() => undefined);
    if (!answer) await new Promise((r) => setTimeout(r, 250));
  }
  expect(answer?.status, output).toBe(200);
  expect(await answer?.json()).toEqual({
    greeting: 'hello from a packed install',
    fromEnv: 'hello from a packed install',
  });
  expect(await (await fetch(`${url}/`)).text()).toContain('<p>hello from a packed install</p>');
  expect(output).toContain('[@hanzo/kms-nextjs] loaded 1 secrets');
}, 60_000);
