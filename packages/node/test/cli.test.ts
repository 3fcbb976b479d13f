// The built `kms` CLI in real child processes against the reference server.
import { mkdtempSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startKmsTestServer, type KmsTestServer } from '@hanzo/kms-testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { blackHole, cliPath, kmsEnv, runKms, runKmsWithInput, start } from './helpers.ts';

let kms: KmsTestServer;
const DB = 'postgres://app:pw-c0ffee@db.internal/app';
const KEY = 'api-key-9a7b';

beforeAll(async () => {
  kms = await startKmsTestServer({ secrets: { dev: { '/app': { DATABASE_URL: DB, API_KEY: KEY } } } });
});
afterAll(() => kms?.close());

const printDb = [
  'node',
  '-e',
  'console.log("DB=" + process.env.DATABASE_URL + " KEY=" + process.env.API_KEY)',
];

function expectNoSecretIn(text: string) {
  for (const secret of [kms.clientSecret, DB, KEY]) expect(text).not.toContain(secret);
}

describe('kms run', () => {
  it('starts the command with the secrets in its environment', async () => {
    const result = await runKms(['run', '--', ...printDb], kmsEnv(kms));
    expect(result.stdout).toBe(`DB=${DB} KEY=${KEY}\n`);
    expect(result.stderr).toBe(`kms: injected 2 secrets from ${kms.projectSlug}/dev:/app\n`);
    expect(result.code).toBe(0);
  });

  it('--quiet prints nothing of its own; --command runs a line through the shell', async () => {
    const quiet = await runKms(['run', '--quiet', '--', ...printDb], kmsEnv(kms));
    expect(quiet.stdout).toBe(`DB=${DB} KEY=${KEY}\n`);
    expect(quiet.stderr).toBe('');
    const line = await runKms(['run', '-q', '--command', 'echo "DB=$DATABASE_URL" && exit 3'], kmsEnv(kms));
    expect(line.stdout).toBe(`DB=${DB}\n`);
    expect(line.stderr).toBe('');
    expect(line.code).toBe(3);
    const both = await runKms(['run', '--command', 'true', '--', 'true'], kmsEnv(kms));
    expect(both.code).toBe(64);
    expect(both.stderr).toBe(
      'kms: run: pass the command either after -- or with --command, not both (see kms --help)\n',
    );
  });

  it('an option meant for the command: one clean line pointing at -- and --command', async () => {
    const result = await runKms(['run', 'node', '--inspect', 'app.js'], kmsEnv(kms));
    expect(result.code).toBe(64);
    expect(result.stderr).toBe(
      'kms: run: unknown option --inspect; put the command after -- or pass it with --command (see kms --help)\n',
    );
  });

  it('flags win over KMS_* variables; preserve keeps the shell value and names it', async () => {
    const env = kmsEnv(kms, { KMS_SECRET_PATH: '/nope', KMS_ENVIRONMENT: 'prod', API_KEY: 'shell' });
    const result = await runKms(['run', '--env', 'dev', '--path', '/app', '--', ...printDb], env);
    expect(result.stdout).toBe(`DB=${DB} KEY=shell\n`);
    expect(result.stderr).toBe(
      `kms: kept existing variables API_KEY (--env-merge preserve)\nkms: injected 2 secrets from ${kms.projectSlug}/dev:/app\n`,
    );
    const override = await runKms(
      ['run', '--env-merge', 'override', '--', ...printDb],
      kmsEnv(kms, { API_KEY: 'shell' }),
    );
    expect(override.stdout).toBe(`DB=${DB} KEY=${KEY}\n`);
  });

  it('passes the exit code through', async () => {
    const result = await runKms(['run', '--', 'node', '-e', 'process.exit(7)'], kmsEnv(kms));
    expect(result.code).toBe(7);
  });

  it('forwards SIGTERM; the child exit code (42) comes back', async () => {
    const child = start(process.execPath, [cliPath, 'run', '--', 'node', 'trap-term.mjs'], kmsEnv(kms));
    await child.waitFor(`ready DATABASE_URL=${DB}`);
    child.kill('SIGTERM');
    const result = await child.result;
    expect(result.stdout).toContain('got SIGTERM');
    expect(result.code).toBe(42);
  });

  it('a child killed by a signal kills kms run with the same signal', async () => {
    const result = await runKms(
      ['run', '--', 'node', '-e', 'process.kill(process.pid, "SIGTERM")'],
      kmsEnv(kms),
    );
    expect(result.signal).toBe('SIGTERM');
  });

  it('command not found: 127; no command: usage 64', async () => {
    const missing = await runKms(['run', '--', 'no-such-command-kms-test'], kmsEnv(kms));
    expect(missing.code).toBe(127);
    expect(missing.stderr).toBe(
      `kms: injected 2 secrets from ${kms.projectSlug}/dev:/app\nkms: run: command not found: no-such-command-kms-test\n`,
    );
    const none = await runKms(['run'], kmsEnv(kms));
    expect(none.code).toBe(64);
  });

  it('a bad credential fails before starting the command, in one line', async () => {
    const result = await runKms(
      ['run', '--', ...printDb],
      kmsEnv(kms, { KMS_CLIENT_SECRET: 'nope-nope-nope-1' }),
    );
    expect(result.code).toBe(77);
    expect(result.stdout).toBe('');
    expect(result.stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(result.stderr).not.toContain('nope-nope-nope-1');
  });

  it('--watch restarts the command after a secret update', async () => {
    const child = start(
      process.execPath,
      [
        cliPath,
        'run',
        '--watch',
        '--watch-interval',
        '200ms',
        '--watch-grace',
        '2s',
        '--',
        'node',
        'trap-term.mjs',
      ],
      kmsEnv(kms),
    );
    try {
      await child.waitFor(`ready DATABASE_URL=${DB}`);
      await kms.setSecret('dev', '/app', 'DATABASE_URL', 'postgres://rotated-db');
      await child.waitFor('ready DATABASE_URL=postgres://rotated-db');
      expect(child.stdout()).toContain('got SIGTERM');
      expect(child.stderr()).toContain('kms: secrets changed (DATABASE_URL); restarting the command\n');
      expect(child.stderr()).not.toContain('rotated-db');
      child.kill('SIGTERM');
      const result = await child.result;
      expect(result.code).toBe(42);
    } finally {
      child.kill('SIGKILL');
      await kms.setSecret('dev', '/app', 'DATABASE_URL', DB);
    }
  });
});

describe('rotating the client secret of a running workload (docs/authentication.md#rotating-a-client-secret)', () => {
  it('kms run --watch switches to a second client secret from its credential file; revoking the first costs no failed login', async () => {
    const rot = await startKmsTestServer({ secrets: { dev: { '/app': { DATABASE_URL: DB } } } });
    const dir = mkdtempSync(join(tmpdir(), 'kms-credentials-'));
    writeFileSync(join(dir, 'clientId'), rot.clientId);
    writeFileSync(join(dir, 'clientSecret'), rot.clientSecret);
    const env = kmsEnv(rot, {
      KMS_CLIENT_ID: undefined,
      KMS_CLIENT_SECRET: undefined,
      KMS_CREDENTIALS_DIR: dir,
    });
    const args = [
      'run',
      '--watch',
      '--watch-interval',
      '200ms',
      '--watch-grace',
      '2s',
      '--',
      'node',
      'trap-term.mjs',
    ];
    const child = start(process.execPath, [cliPath, ...args], env);
    const base = `/api/v1/auth/universal-auth/identities/${rot.identityId}/client-secrets`;
    try {
      await child.waitFor(`ready DATABASE_URL=${DB}`);
      const { clientSecretData: before } = await rot.api<{ clientSecretData: { id: string }[] }>('GET', base);
      expect(before).toHaveLength(1);
      const first = before[0]!.id;
      // 1. a second client secret; 2. the workload's file switched to it; 3. the first revoked.
      const second = await rot.newClientSecret();
      writeFileSync(join(dir, 'clientSecret.next'), second);
      renameSync(join(dir, 'clientSecret.next'), join(dir, 'clientSecret'));
      await rot.api('POST', `${base}/${first}/revoke`);
      // The revocation also revoked the workload's token: its next poll logs in again, with the new secret.
      await rot.setSecret('dev', '/app', 'DATABASE_URL', 'postgres://after-rotation');
      await child.waitFor('ready DATABASE_URL=postgres://after-rotation');
      const logins = await rot.api<{ auditLogs: { event: { metadata: { clientSecretId: string } } }[] }>(
        'GET',
        '/api/v1/audit-logs?eventType=login-identity-universal-auth&limit=100',
      );
      const secretIds = logins.auditLogs.map((l) => l.event.metadata.clientSecretId);
      expect(secretIds).toContain(first);
      expect(secretIds.filter((id) => id !== first)).not.toHaveLength(0);
      // No failed login or refresh: kms run printed nothing but its two normal lines.
      expect(child.stderr()).toBe(
        `kms: injected 1 secret from ${rot.projectSlug}/dev:/app\nkms: secrets changed (DATABASE_URL); restarting the command\n`,
      );
      for (const secret of [rot.clientSecret, second])
        expect(child.stderr() + child.stdout()).not.toContain(secret);
      // The first secret no longer logs in.
      const refused = await fetch(`${rot.url}/api/v1/auth/universal-auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ clientId: rot.clientId, clientSecret: rot.clientSecret }),
      });
      expect(refused.status).toBe(401);
      child.kill('SIGTERM');
      expect((await child.result).code).toBe(42);
    } finally {
      child.kill('SIGKILL');
      await rot.close();
    }
  });
});

describe('kms export', () => {
  it.each([
    ['dotenv', `API_KEY='${KEY}'\nDATABASE_URL='${DB}'\n`],
    ['dotenv-export', `export API_KEY='${KEY}'\nexport DATABASE_URL='${DB}'\n`],
    ['json', `${JSON.stringify({ API_KEY: KEY, DATABASE_URL: DB }, null, 2)}\n`],
    ['yaml', `"API_KEY": "${KEY}"\n"DATABASE_URL": "${DB}"\n`],
  ])('--format %s', async (format, expected) => {
    const result = await runKms(['export', '--format', format], kmsEnv(kms));
    expect(result.stdout).toBe(expected);
    expect(result.code).toBe(0);
  });

  it('--format k8s-secret prints a Secret manifest', async () => {
    const result = await runKms(['export', '--format', 'k8s-secret', '--namespace', 'shop'], kmsEnv(kms));
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(
      `kind: Secret\nmetadata:\n  name: "${kms.projectSlug}-dev"\n  namespace: "shop"\n`,
    );
    expect(result.stdout).toContain(`  "DATABASE_URL": "${Buffer.from(DB).toString('base64')}"\n`);
    expect(result.stdout).toContain('    kms.hanzo.ai/secret-path: "/app"\n');
  });

  it('rejects an unknown format with usage exit 64', async () => {
    const result = await runKms(['export', '--format', 'xml'], kmsEnv(kms));
    expect(result.code).toBe(64);
    expect(result.stderr).toMatch(/--format must be one of dotenv, dotenv-export, json, yaml, k8s-secret/);
  });

  it('refuses (exit 65) a dotenv export that would change a value, naming the key and never the value', async () => {
    const odd = await startKmsTestServer({
      secrets: { dev: { '/app': { PLAIN: 'ok', CR_VALUE: 'sec\rret-cr', ALL_QUOTES: `it's "x" \`y\` \\` } } },
    });
    try {
      const result = await runKms(['export'], kmsEnv(odd));
      expect(result.code).toBe(65);
      expect(result.stdout).toBe('');
      expect(result.stderr).toMatch(/ALL_QUOTES, CR_VALUE/);
      expect(result.stderr).not.toMatch(/sec|it's/);
      const shell = await runKms(['export', '--format', 'dotenv-export'], kmsEnv(odd));
      expect(shell.code).toBe(0);
      expect(shell.stdout).toContain("export CR_VALUE='sec\rret-cr'\n");
    } finally {
      await odd.close();
    }
  });
});

describe('deadlines', () => {
  /** Answers logins at once, then never answers anything else (a list or a revoke hangs). */
  async function hangsAfterLogin() {
    const { createServer } = await import('node:http');
    const server = createServer((req, res) => {
      if (req.url?.includes('/auth/universal-auth/login')) {
        res.setHeader('content-type', 'application/json');
        res.end(
          JSON.stringify({
            accessToken: 'a.b.c',
            expiresIn: 3600,
            accessTokenMaxTTL: 3600,
            tokenType: 'Bearer',
          }),
        );
      }
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as { port: number };
    return {
      url: `http://127.0.0.1:${port}`,
      close: () =>
        new Promise<void>((resolve) => server.close(() => resolve())).then(() =>
          server.closeAllConnections(),
        ),
    };
  }

  it.each([
    ['export', ['export', '--timeout', '1s']],
    ['run', ['run', '--timeout', '1s', '--', 'node', '-e', '0']],
  ])('kms %s stops at its --timeout (exit 75), even with requests still in flight', async (_, args) => {
    const hung = await hangsAfterLogin();
    const hole = await blackHole();
    try {
      for (const url of [hung.url, hole.url]) {
        // What starting and stopping the CLI costs on this machine right now (a loaded CI run
        // makes it seconds), so the bound below is about the deadline, not the machine.
        const baselineStartedAt = Date.now();
        expect((await runKms(['--version'], kmsEnv(kms))).code).toBe(0);
        const startup = Date.now() - baselineStartedAt;
        const startedAt = Date.now();
        const result = await runKms(args, kmsEnv(kms, { KMS_SITE_URL: url }));
        const elapsed = Date.now() - startedAt;
        expect(result.code).toBe(75);
        expect(result.stderr).toMatch(/did not answer within 1 s/);
        // A correctness bound, not a speed goal: without the deadline the process would wait for
        // the hung request forever; with it, it ends about 1 s after its start-up.
        expect(elapsed).toBeLessThan(startup + 1_000 + 1_500);
      }
    } finally {
      await hung.close();
      await hole.close();
    }
  });
});

describe('kms secrets get', () => {
  it('prints only the value asked for', async () => {
    const result = await runKms(['secrets', 'get', 'API_KEY'], kmsEnv(kms));
    expect(result.stdout).toBe(`${KEY}\n`);
    expect(result.stderr).toBe('');
  });

  it('names what is missing as the server said it: project, environment, or a site URL that is no KMS API', async () => {
    const project = await runKms(['secrets', 'get', 'API_KEY'], kmsEnv(kms, { KMS_PROJECT_SLUG: 'nope' }));
    expect(project.code).toBe(66);
    expect(project.stderr).toBe(`kms: project nope not found at ${kms.url}\n`);
    const environment = await runKms(['secrets', 'get', 'API_KEY', '--env', 'nope'], kmsEnv(kms));
    expect(environment.code).toBe(66);
    expect(environment.stderr).toBe(`kms: environment nope not found in project ${kms.projectSlug}\n`);
    const near = await runKms(['export', '--env', 'production'], kmsEnv(kms));
    expect(near.code).toBe(66);
    expect(near.stderr).toBe(
      `kms: environment production not found in project ${kms.projectSlug} (did you mean prod?)\n`,
    );
    const listed = await runKms(['export', '--env', 'nope'], kmsEnv(kms));
    expect(listed.stderr).toBe(`kms: environment nope not found in project ${kms.projectSlug}\n`);
    const folder = await runKms(['secrets', 'get', 'API_KEY', '--path', '/nope'], kmsEnv(kms));
    expect(folder.stderr).toBe(
      `kms: folder /nope does not exist in project ${kms.projectSlug}, environment dev\n`,
    );
    const url = await runKms(['export'], kmsEnv(kms, { KMS_SITE_URL: `${kms.url}/foo` }));
    expect(url.code).toBe(78);
    expect(url.stderr).toBe(
      `kms: KMS_SITE_URL ${kms.url}/foo is not a KMS API: POST /v1/auth/universal-auth/login under it answered 404; check the URL and its path\n`,
    );
  });

  it('a missing key: exit 66 naming it', async () => {
    const result = await runKms(['secrets', 'get', 'NOPE'], kmsEnv(kms));
    expect(result.code).toBe(66);
    expect(result.stderr).toBe(
      `kms: secret NOPE not found in project ${kms.projectSlug}, environment dev, path /app\n`,
    );
  });
});

describe('kms secrets list, set and delete', () => {
  let writable: KmsTestServer;
  beforeAll(async () => {
    writable = await startKmsTestServer({
      secrets: { dev: { '/app': { API_KEY: KEY, DATABASE_URL: DB } } },
      identity: { role: 'member' },
    });
  });
  afterAll(() => writable?.close());

  it('list prints keys only; --values as a table, json or dotenv', async () => {
    const keys = await runKms(['secrets', 'list'], kmsEnv(kms));
    expect(keys).toMatchObject({ code: 0, stdout: 'API_KEY\nDATABASE_URL\n', stderr: '' });
    expectNoSecretIn(keys.stdout);
    const table = await runKms(['secrets', 'list', '--values'], kmsEnv(kms));
    expect(table.stdout).toBe(
      `KEY           VALUE\nAPI_KEY       ${JSON.stringify(KEY)}\nDATABASE_URL  ${JSON.stringify(DB)}\n`,
    );
    const json = await runKms(['secrets', 'list', '--format', 'json'], kmsEnv(kms));
    expect(JSON.parse(json.stdout)).toEqual(['API_KEY', 'DATABASE_URL']);
    const jsonValues = await runKms(['secrets', 'list', '--values', '--format', 'json'], kmsEnv(kms));
    expect(JSON.parse(jsonValues.stdout)).toEqual({ API_KEY: KEY, DATABASE_URL: DB });
    const dotenv = await runKms(['secrets', 'list', '--format', 'dotenv'], kmsEnv(kms));
    expect(dotenv.code).toBe(64);
    expect(dotenv.stderr).toBe(
      'kms: secrets list: --format dotenv prints values; add --values (see kms --help)\n',
    );
    const dotenvValues = await runKms(['secrets', 'list', '--values', '--format', 'dotenv'], kmsEnv(kms));
    expect(dotenvValues.stdout).toBe(`API_KEY='${KEY}'\nDATABASE_URL='${DB}'\n`);
  });

  it('set creates and updates in one request, from arguments, @file and stdin, naming keys and never values', async () => {
    const fileValue = 'line one\nline two\n';
    const file = join(mkdtempSync(join(tmpdir(), 'kms-set-')), 'value.txt');
    writeFileSync(file, fileValue);
    const piped = 'pw-from-stdin-7c1d';
    const env = kmsEnv(writable);
    const set = await runKmsWithInput(
      ['secrets', 'set', 'API_KEY=rotated-key-1', `CERT=@${file}`, 'PASSWORD=-'],
      env,
      `${piped}\n`,
    );
    expect(set.stderr).toBe(
      `kms: created CERT, PASSWORD; updated API_KEY in ${writable.projectSlug}/dev:/app\n`,
    );
    expect(set.code).toBe(0);
    expect(set.stdout).toBe('');
    for (const value of ['rotated-key-1', piped, 'line one']) expect(set.stderr).not.toContain(value);
    const values = JSON.parse(
      (await runKms(['secrets', 'list', '--values', '--format', 'json'], env)).stdout,
    ) as Record<string, string>;
    expect(values).toEqual({ API_KEY: 'rotated-key-1', CERT: fileValue, DATABASE_URL: DB, PASSWORD: piped });

    const deleted = await runKms(['secrets', 'delete', 'CERT', 'PASSWORD'], env);
    expect(deleted).toMatchObject({
      code: 0,
      stderr: `kms: deleted CERT, PASSWORD from ${writable.projectSlug}/dev:/app\n`,
    });
    const missing = await runKms(['secrets', 'delete', 'NOPE'], env);
    expect(missing.code).toBe(66);
    expect(missing.stderr).toBe(`kms: not deleted: no secret NOPE in ${writable.projectSlug}/dev:/app\n`);
    expect((await runKms(['secrets', 'list'], env)).stdout).toBe('API_KEY\nDATABASE_URL\n');
  });

  it('history lists the versions without values (--values adds them); rollback writes an old value as the next version', async () => {
    const env = kmsEnv(writable);
    await runKms(['secrets', 'set', 'ROLLED=first-value-1'], env);
    await runKms(['secrets', 'set', 'ROLLED=second-value-2'], env);
    const history = await runKms(['secrets', 'history', 'ROLLED'], env);
    expect(history.code).toBe(0);
    const lines = history.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^VERSION\s+CREATED$/);
    expect(lines.slice(1).map((line) => line.split(/\s+/)[0])).toEqual(['2', '1']);
    expect(history.stdout + history.stderr).not.toContain('value-');

    const rolled = await runKms(['secrets', 'rollback', 'ROLLED', '--version', '1'], env);
    expect(rolled).toMatchObject({
      code: 0,
      stdout: '',
      stderr: `kms: rolled back ROLLED in ${writable.projectSlug}/dev:/app to version 1 (now version 3)\n`,
    });
    expect((await runKms(['secrets', 'get', 'ROLLED'], env)).stdout).toBe('first-value-1\n');
    const json = JSON.parse(
      (await runKms(['secrets', 'history', 'ROLLED', '--values', '--format', 'json'], env)).stdout,
    );
    expect(json.map((v: { version: number; secretValue: string }) => [v.version, v.secretValue])).toEqual([
      [3, 'first-value-1'],
      [2, 'second-value-2'],
      [1, 'first-value-1'],
    ]);
    const table = await runKms(['secrets', 'history', 'ROLLED', '--values'], env);
    expect(table.stdout.split('\n')[1]).toMatch(/^3\s+\S+\s+"first-value-1"$/);

    const missing = await runKms(['secrets', 'rollback', 'ROLLED', '--version', '9'], env);
    expect(missing.code).toBe(66);
    expect(missing.stderr).toBe(
      `kms: ROLLED has no version 9 in ${writable.projectSlug}/dev:/app (kms secrets history ROLLED lists the kept ones)\n`,
    );
    const noKey = await runKms(['secrets', 'history', 'NOPE'], env);
    expect(noKey).toMatchObject({
      code: 66,
      stderr: `kms: secret NOPE not found in ${writable.projectSlug}/dev:/app\n`,
    });
    const noVersion = await runKms(['secrets', 'rollback', 'ROLLED'], env);
    expect(noVersion.code).toBe(64);
    expect(noVersion.stderr).toBe(
      'kms: secrets rollback: --version N expects a version number (see kms --help)\n',
    );
    expect((await runKms(['secrets', 'rollback', 'ROLLED', '--version', '0'], env)).code).toBe(64);
    expect((await runKms(['secrets', 'history', 'ROLLED', '--format', 'dotenv'], env)).code).toBe(64);
    // A viewer reads the history but may not roll back.
    const viewer = await runKms(['secrets', 'rollback', 'API_KEY', '--version', '1'], kmsEnv(kms));
    expect(viewer.code).toBe(77);
    expect(viewer.stderr).toContain('the identity may not roll back secrets');
    expect((await runKms(['secrets', 'history', 'API_KEY'], kmsEnv(kms))).code).toBe(0);
  });

  it('a viewer is told that writes need a role that allows them; bad operands are usage errors', async () => {
    const refused = await runKms(['secrets', 'set', 'API_KEY=x-value-1'], kmsEnv(kms));
    expect(refused.code).toBe(77);
    expect(refused.stderr).toBe(
      `kms: the identity may not write secrets in ${kms.projectSlug}/dev:/app: writes need a role that allows them (member, admin or a custom role)\n`,
    );
    const noEquals = await runKms(['secrets', 'set', 'just-a-value-typed-here'], kmsEnv(kms));
    expect(noEquals.code).toBe(64);
    expect(noEquals.stderr).not.toContain('just-a-value-typed-here');
    const twice = await runKms(['secrets', 'set', 'A=1', 'A=2'], kmsEnv(kms));
    expect(twice.stderr).toBe('kms: secrets set: A is given twice (see kms --help)\n');
    const unknown = await runKms(['secrets', 'rm', 'A'], kmsEnv(kms));
    expect(unknown.stderr).toBe(
      'kms: secrets: unknown subcommand "rm" (get, list, set, delete, history or rollback) (see kms --help)\n',
    );
  });
});

describe('kms completion', () => {
  /** Completions bash offers for `line` (the last word being completed), with the printed script loaded. */
  async function bashComplete(script: string, line: string[]): Promise<string[]> {
    const file = join(mkdtempSync(join(tmpdir(), 'kms-completion-')), 'kms.bash');
    writeFileSync(file, script);
    const words = line.map((word) => `'${word}'`).join(' ');
    const result = await start(
      'bash',
      [
        '-c',
        `source ${file}; COMP_WORDS=(${words}); COMP_CWORD=${line.length - 1}; _kms; printf '%s\\n' "\${COMPREPLY[@]}"`,
      ],
      { PATH: process.env.PATH },
    ).result;
    expect(result.stderr).toBe('');
    return result.stdout.split('\n').filter(Boolean).sort();
  }

  it('bash: commands, subcommands, the flags of each command and --format values', async () => {
    const { stdout: script, code } = await runKms(['completion', 'bash'], kmsEnv(kms));
    expect(code).toBe(0);
    expect(await bashComplete(script, ['kms', 'ex'])).toEqual(['export']);
    expect(await bashComplete(script, ['kms', 'secrets', ''])).toEqual(
      expect.arrayContaining(['get', 'list', 'set', 'delete', '--values', '--env', '--path']),
    );
    expect(await bashComplete(script, ['kms', 'run', '--wa'])).toEqual([
      '--watch',
      '--watch-grace',
      '--watch-interval',
    ]);
    expect(await bashComplete(script, ['kms', 'export', '--format', 'dot'])).toEqual([
      'dotenv',
      'dotenv-export',
    ]);
    // Each command's own values: export has no `table`, secrets list has no `k8s-secret`.
    expect(await bashComplete(script, ['kms', 'export', '--format', ''])).toEqual(
      ['dotenv', 'dotenv-export', 'json', 'k8s-secret', 'yaml'].sort(),
    );
    expect(await bashComplete(script, ['kms', 'secrets', 'list', '--format', ''])).toEqual([
      'dotenv',
      'json',
      'table',
    ]);
  });

  it('zsh prints a compdef script; another shell is a usage error', async () => {
    const zsh = await runKms(['completion', 'zsh'], kmsEnv(kms));
    expect(zsh.stdout).toMatch(/^#compdef kms\n/);
    expect(zsh.stdout).toContain('--watch-interval');
    const fish = await runKms(['completion', 'fish'], kmsEnv(kms));
    expect(fish.code).toBe(64);
  });
});

describe('help', () => {
  it.each([[['--help']], [['run', '--help']], [['export', '--help']], [['secrets', '--help']]])(
    'kms %j prints usage and no value',
    async (args) => {
      const result = await runKms(args, kmsEnv(kms));
      expect(result.code).toBe(0);
      expect(result.stdout).toMatch(/^Usage: kms/);
      expectNoSecretIn(result.stdout + result.stderr);
    },
  );

  it('--version, kms help <command>, and "did you mean" for a mistyped option or command', async () => {
    const { version } = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
    for (const flag of ['--version', '-v']) {
      const result = await runKms([flag], kmsEnv(kms));
      expect(result).toMatchObject({ code: 0, stdout: `kms ${version}\n`, stderr: '' });
    }
    const help = await runKms(['help', 'export'], kmsEnv(kms));
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/^Usage: kms export/);
    const typo = await runKms(['export', '--enviroment', 'dev'], kmsEnv(kms));
    expect(typo.code).toBe(64);
    expect(typo.stderr).toBe(
      'kms: export: unknown option --enviroment (did you mean --env?) (see kms --help)\n',
    );
    const command = await runKms(['exprot'], kmsEnv(kms));
    expect(command.stderr).toBe('kms: unknown command "exprot" (did you mean "export"?) (see kms --help)\n');
  });

  it('an unknown command or flag is a usage error (64)', async () => {
    expect((await runKms(['nope'], kmsEnv(kms))).code).toBe(64);
    const flag = await runKms(['export', '--client-secret=abc-secret-1'], kmsEnv(kms));
    expect(flag.code).toBe(64);
    expect(flag.stderr).not.toContain('abc-secret-1');
  });
});
