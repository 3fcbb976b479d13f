#!/usr/bin/env node
/**
 * The `kms-server` command line (start, dev, apply, audit verify, rotate-root-key): reads
 * arguments and environment, then calls server.ts and provisioning/. Prints no secret value.
 */
import { randomBytes } from 'node:crypto';
import { join, resolve } from 'node:path';
import { Command, InvalidArgumentError } from 'commander';
import { existsSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { createLogger, serverSigningSecret } from './app.js';
import {
  AuditLog,
  auditChainKey,
  parseCheckpoint,
  verifyAuditChain,
  verifyStoredAuditLog,
} from './audit/audit-log.js';
import { keyManagerFromEnv } from './crypto/backends/index.js';
import { AuditChainError } from './store/audit-chain.js';
import { KeyBackendError, type KeyManager, parseRootKey, RootKeyError } from './crypto/key-manager.js';
import { readRootKeyFile, writeNewRootKeyFile } from './crypto/root-key-file.js';
import { devBanner } from './dev/dev-banner.js';
import { devRootKey } from './dev/dev-root-key.js';
import { type DevInstance, provisionDemo, reattachDemo } from './dev/provision-demo.js';
import { runApply } from './provisioning/apply-command.js';
import { type RunningServer, type StartServerOptions, startServer } from './server.js';
import { secureDataDir } from './store/sql/sqlite-driver.js';
import { openStore, type StoreLocation } from './store/store.js';

const env = process.env;

function port(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535)
    throw new InvalidArgumentError('must be a port number (0-65535)');
  return n;
}

function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) throw new InvalidArgumentError('must be a positive integer');
  return n;
}

/** `true`/`false` (also 1/0, yes/no, on/off) from a variable; `fallback` when unset. */
function envFlag(name: string, fallback: boolean): boolean {
  const value = env[name]?.trim().toLowerCase();
  if (value === undefined || value === '') return fallback;
  if (['true', '1', 'yes', 'on'].includes(value)) return true;
  if (['false', '0', 'no', 'off'].includes(value)) return false;
  fail(`${name} must be true or false, got "${env[name]}"`);
}

/**
 * `KMS_LOG`: `off` (default), or a level: `error` (failures only), `info` (plus one access-log line per
 * request), `debug` (plus user agent and query parameter names). `on`/`true` mean `info`.
 */
function loggerFromEnv(): false | ReturnType<typeof createLogger> {
  const value = (env.KMS_LOG ?? 'off').trim().toLowerCase();
  if (['off', 'false', '0', ''].includes(value)) return false;
  const level = ['on', 'true', '1'].includes(value) ? 'info' : value;
  if (!['fatal', 'error', 'warn', 'info', 'debug', 'trace'].includes(level)) {
    fail(`KMS_LOG must be off, error, warn, info or debug, got "${env.KMS_LOG}"`);
  }
  return createLogger({ level });
}

/**
 * Settings shared by `start` and `dev`, from flags and environment. `dev` allows OIDC providers on
 * private addresses (a local SPIRE or test provider); `start` does not unless told to.
 */
function serverOptions(
  opts: { port: number; host: string; dataDir: string; databaseUrl?: string },
  keyManager: KeyManager,
  mode: 'start' | 'dev',
  logger: ReturnType<typeof loggerFromEnv>,
): StartServerOptions {
  const setting = (env.KMS_RATE_LIMIT ?? '').trim().toLowerCase();
  // dev serves one developer's tools (a `kms run --watch`, an app, a test suite) from this machine:
  // limits meant for shared servers would only throttle them. Bound elsewhere, or asked to, it limits.
  const devOnLoopback = mode === 'dev' && setting === '' && isLoopbackHost(opts.host);
  const rateLimitOff = devOnLoopback || ['off', 'false', '0'].includes(setting);
  const url = databaseUrl(opts);
  const size = poolSize();
  return {
    port: opts.port,
    host: opts.host,
    dataDir: resolve(opts.dataDir),
    ...(url ? { databaseUrl: url, ...(size ? { databasePoolSize: size } : {}) } : {}),
    shutdownGraceMs: env.KMS_SHUTDOWN_GRACE_SECONDS
      ? positiveInt(env.KMS_SHUTDOWN_GRACE_SECONDS) * 1000
      : 10_000,
    keyManager,
    ...(env.KMS_AUDIT_CHECKPOINT_SECONDS
      ? { auditCheckpointSeconds: positiveInt(env.KMS_AUDIT_CHECKPOINT_SECONDS) }
      : {}),
    rateLimit: rateLimitOff ? false : {},
    logger,
    settings: {
      ...(env.KMS_AUDIT_RETENTION_DAYS
        ? { auditRetentionDays: positiveInt(env.KMS_AUDIT_RETENTION_DAYS) }
        : {}),
      ...(env.KMS_TRUST_PROXY
        ? { trustProxy: env.KMS_TRUST_PROXY === 'true' ? true : env.KMS_TRUST_PROXY }
        : {}),
      allowPrivateUrls: envFlag('KMS_ALLOW_PRIVATE_URLS', mode === 'dev'),
      oidc: { allowPrivateUrls: envFlag('KMS_OIDC_ALLOW_PRIVATE_URLS', mode === 'dev') },
      rotations: rotationSettingsFromEnv(),
    },
  };
}

/** A positive integer from a variable, or exit naming it. */
function envPositiveInt(name: string): number | undefined {
  const value = env[name]?.trim();
  if (!value) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) fail(`${name} must be a positive integer, got "${value}"`);
  return n;
}

/**
 * The secret-rotation scheduler's settings (docs/rotation.md). The `KMS_TEST_ROTATION_*` ones
 * exist for tests and demos: a short rotation "day" and a pause between the phases.
 */
function rotationSettingsFromEnv() {
  const poll = envPositiveInt('KMS_ROTATION_POLL_MS');
  const lease = envPositiveInt('KMS_ROTATION_LEASE_SECONDS');
  const day = envPositiveInt('KMS_TEST_ROTATION_DAY_SECONDS');
  const pause = envPositiveInt('KMS_TEST_ROTATION_PHASE_PAUSE_MS');
  return {
    schedulerEnabled: envFlag('KMS_ROTATION_SCHEDULER', true),
    ...(poll ? { pollIntervalMs: poll } : {}),
    ...(lease ? { leaseSeconds: lease } : {}),
    ...(day ? { dayLengthSeconds: day } : {}),
    ...(pause ? { pauseBetweenPhasesMs: pause } : {}),
  };
}

/** Whether `--host` accepts connections from this machine only. */
function isLoopbackHost(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host);
}

/** `--database-url`, else KMS_DATABASE_URL, else DATABASE_URL: PostgreSQL instead of SQLite. */
function databaseUrl(opts: { databaseUrl?: string }): string | undefined {
  const url = opts.databaseUrl ?? env.KMS_DATABASE_URL ?? env.DATABASE_URL;
  if (!url?.trim()) return undefined;
  if (!/^postgres(ql)?:\/\//.test(url)) fail('the database URL must start with postgres:// or postgresql://');
  return url;
}

/** KMS_DATABASE_POOL_SIZE: PostgreSQL connections per replica. */
function poolSize(): number | undefined {
  return env.KMS_DATABASE_POOL_SIZE ? positiveInt(env.KMS_DATABASE_POOL_SIZE) : undefined;
}

/** Where the data lives: a database URL, or `kms.db` in the data folder. */
function storeLocation(opts: { dataDir: string; databaseUrl?: string }): StoreLocation {
  const url = databaseUrl(opts);
  const size = poolSize();
  return url
    ? { postgres: { url, ...(size ? { poolSize: size } : {}) } }
    : { sqlite: join(resolve(opts.dataDir), 'kms.db') };
}

/**
 * The existing store, or exit: a tool that inspects data must not create an empty store. (A
 * PostgreSQL database is opened as given: it holds no data until a server has migrated it.)
 */
async function openExistingStore(opts: { dataDir: string; databaseUrl?: string }) {
  const location = assertStoreExists(opts);
  return openStore(location).catch((error: Error) => fail(`cannot open the store: ${error.message}`));
}

/** Where the store is, or exit when a SQLite store is not there. */
function assertStoreExists(opts: { dataDir: string; databaseUrl?: string }): StoreLocation {
  const location = storeLocation(opts);
  if ('sqlite' in location && !existsSync(location.sqlite))
    fail(`no store at ${location.sqlite}: check --data-dir (or KMS_DATA_DIR), or give --database-url`);
  return location;
}

/** The place the data is, for messages (a URL without its password). */
function describeLocation(location: StoreLocation): string {
  if ('sqlite' in location) return location.sqlite;
  const url = new URL(location.postgres.url);
  if (url.password) url.password = '***';
  return url.toString();
}

const DATABASE_URL_HELP =
  'PostgreSQL URL (postgres://user:pass@host:5432/db?sslmode=verify-full&sslrootcert=ca.pem); default KMS_DATABASE_URL, then DATABASE_URL; without one the data is SQLite in --data-dir';

/** Creates or tightens the data folder, saying so when it was open to other users. */
function prepareDataDir(dir: string) {
  const previous = secureDataDir(dir);
  if (previous !== undefined)
    process.stderr.write(
      `kms-server: warning: data folder ${dir} was readable by other users (mode ${previous.toString(8)}); tightened to 700\n`,
    );
}

function onSignals(close: () => Promise<void>) {
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      // No process.exit(): letting the loop drain lets better-sqlite3 finalize before teardown.
      void close();
    });
  }
}

function fail(message: string): never {
  process.stderr.write(`kms-server: ${message}\n`);
  process.exit(1);
}

/**
 * The API's error body as a sentence: its message, or each 422 issue as `field: problem`. The body never
 * holds the password (validation messages name fields, not values).
 */
function describeRefusal(status: number, text: string): string {
  let body: { message?: unknown } | undefined;
  try {
    body = JSON.parse(text) as { message?: unknown };
  } catch {
    return `the server answered ${status} without the API's error body; is --url a KMS server?`;
  }
  const message = body?.message;
  if (Array.isArray(message)) {
    const issues = message.map((issue: { path?: unknown[]; message?: unknown }) => {
      const path = Array.isArray(issue.path) ? issue.path.filter((step) => step !== 'body') : [];
      const field = path.length > 0 ? `${path.join('.')}: ` : '';
      return `${field}${typeof issue.message === 'string' ? issue.message : 'invalid'}`;
    });
    return `${issues.join('; ')} (${status})`;
  }
  if (status === 404 && typeof message === 'string' && message.startsWith('Route ')) {
    return 'no KMS API at this --url (404 for the bootstrap route); check its path';
  }
  return typeof message === 'string' ? `${message} (${status})` : `status ${status}`;
}

/** This package's version, from its package.json (beside dist/ and src/ alike). */
const version = (
  JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }
).version;

const program = new Command('kms-server')
  .version(`kms-server ${version}`, '-v, --version', 'print the version')
  .description(
    'Hanzo KMS reference server: the KMS API with encryption at rest, audit log and an embedded store',
  )
  .showHelpAfterError();

/** The key manager `KMS_KEY_BACKEND` (or `NEW_KMS_KEY_BACKEND`) asks for, or exit naming what is wrong. */
async function keyManagerOrExit(source: Record<string, string | undefined>, prefix: '' | 'NEW_' = '') {
  try {
    return await keyManagerFromEnv(source, prefix);
  } catch (error) {
    fail((error as Error).message);
  }
}

/**
 * The environment with the local root key read from `--root-key-file` (else ROOT_ENCRYPTION_KEY_FILE)
 * when one is given; `fromFile` says so. Both a file and ROOT_ENCRYPTION_KEY is ambiguous, so refused.
 */
function withRootKeyFile(file: string | undefined): { env: NodeJS.ProcessEnv; fromFile: boolean } {
  const path = file ?? (env.ROOT_ENCRYPTION_KEY_FILE?.trim() || undefined);
  if (!path) return { env, fromFile: false };
  if (env.ROOT_ENCRYPTION_KEY?.trim())
    fail('both ROOT_ENCRYPTION_KEY and a root key file are set: give the key one way');
  try {
    return { env: { ...env, ROOT_ENCRYPTION_KEY: readRootKeyFile(resolve(path)) }, fromFile: true };
  } catch (error) {
    fail((error as Error).message);
  }
}

/**
 * Exits with the listen error when the port is taken, before anything touches the data folder: a start
 * that cannot serve must not create a store (and lock it to a key nobody kept). Port 0 always binds.
 */
async function assertPortFree(host: string, port: number): Promise<void> {
  if (port === 0) return;
  const probe = createServer();
  const error = await new Promise<NodeJS.ErrnoException | undefined>((done) => {
    probe.once('error', done);
    probe.listen(port, host, () => done(undefined));
  });
  if (!error) return new Promise((done) => probe.close(() => done()));
  const message =
    error.code === 'EADDRINUSE'
      ? `port ${port} on ${host} is already in use: stop the other server or choose another --port`
      : error.code === 'EACCES'
        ? `not allowed to listen on ${host}:${port} (ports below 1024 need privileges): choose another --port`
        : error.code === 'EADDRNOTAVAIL' || error.code === 'ENOTFOUND'
          ? `cannot listen on ${host}:${port}: the address is not on this machine (--host)`
          : `cannot listen on ${host}:${port}: ${error.message}`;
  fail(message);
}

const ROOT_KEY_FILE_HELP =
  'file holding the local root key (made by kms-server keygen; mode 600); default ROOT_ENCRYPTION_KEY_FILE';

/** Starts the server, or exits at once with one line (a wrong root key, an unreachable backend, a busy port). */
async function startOrExit(options: StartServerOptions) {
  try {
    return await startServer(options);
  } catch (error) {
    fail((error as Error).message);
  }
}

/** The boot line that names the root key in use (printed always, like the listen line). */
function printKeyBackend(server: RunningServer) {
  const { backend, keyId } = server.keyBackend;
  process.stdout.write(`kms-server: key backend ready (backend ${backend}, keyId ${keyId})\n`);
}

program
  .command('start')
  .description(
    'Start an empty (not yet bootstrapped) server. The root key comes from KMS_KEY_BACKEND: local (ROOT_ENCRYPTION_KEY, the default), kms, vault-transit or aws-kms.',
  )
  .option('--port <port>', 'TCP port', port, Number(env.PORT ?? 8080))
  .option('--host <host>', 'interface to bind', env.HOST ?? '127.0.0.1')
  .option(
    '--data-dir <dir>',
    'folder holding kms.db (SQLite), or only local files with --database-url',
    env.KMS_DATA_DIR ?? './kms-data',
  )
  .option('--database-url <url>', DATABASE_URL_HELP)
  .option('--root-key-file <file>', ROOT_KEY_FILE_HELP)
  .action(async (opts) => {
    const logger = loggerFromEnv();
    const root = withRootKeyFile(opts.rootKeyFile);
    const keys = await keyManagerOrExit(root.env);
    // Everything that can fail early is checked before the data folder is created or opened.
    const options = serverOptions(opts, keys, 'start', logger);
    await assertPortFree(opts.host, opts.port);
    if (keys.describe().backend === 'local' && !root.fromFile)
      process.stderr.write(
        'kms-server: warning: the root key lives in the process environment (ROOT_ENCRYPTION_KEY); ' +
          'keep it in a file (--root-key-file) or, in production, in a KMS (KMS_KEY_BACKEND=kms, vault-transit or aws-kms)\n',
      );
    prepareDataDir(resolve(opts.dataDir));
    const server = await startOrExit(options);
    // Before anything says "listening": a SIGTERM right after start must be a graceful stop too.
    onSignals(() => server.close());
    printKeyBackend(server);
    process.stdout.write(
      `kms-server listening on ${server.url} (data: ${describeLocation(storeLocation(opts))})\n`,
    );
    const config = await server.store.access.getConfig();
    if (!config?.initialized)
      process.stdout.write(`Not bootstrapped yet: POST ${server.url}/api/v1/admin/bootstrap\n`);
  });

program
  .command('dev')
  .description('Start a ready-to-use local instance with a demo project and print its credentials')
  .option('--port <port>', 'TCP port', port, Number(env.PORT ?? 8080))
  .option('--host <host>', 'interface to bind', env.HOST ?? '127.0.0.1')
  .option('--data-dir <dir>', 'local data folder', env.KMS_DATA_DIR ?? './.kms-dev')
  .action(async (opts) => {
    const logger = loggerFromEnv();
    await assertPortFree(opts.host, opts.port);
    // Dev mode's local root key may come from a file it generates; other backends are used as configured.
    const local = (env.KMS_KEY_BACKEND?.trim() || 'local') === 'local';
    const root = local ? devRootKey(resolve(opts.dataDir), env) : undefined;
    if (root) {
      try {
        parseRootKey(root.key, root.source);
      } catch (error) {
        fail((error as Error).message);
      }
      process.stdout.write(`kms-server dev: root key from ${root.source}\n`);
    }
    const keys = await keyManagerOrExit(root ? { ...env, ROOT_ENCRYPTION_KEY: root.key } : env);
    prepareDataDir(resolve(opts.dataDir));
    const server = await startOrExit(serverOptions(opts, keys, 'dev', logger));
    onSignals(() => server.close());
    printKeyBackend(server);
    const config = await server.store.access.getConfig();
    let instance: DevInstance | undefined;
    if (!config?.initialized) {
      const res = await fetch(`${server.url}/api/v1/admin/bootstrap`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          email: 'admin@kms.local',
          password: randomBytes(18).toString('base64url'),
          organization: 'Hanzo Dev',
        }),
      });
      if (!res.ok) fail(`bootstrap failed with ${res.status}`);
      const body = (await res.json()) as {
        organization: { id: string };
        identity: { credentials: { token: string } };
      };
      instance = await provisionDemo(server.url, body.identity.credentials.token, body.organization.id);
    } else {
      const adminToken = await server.issueAdminToken('kms-server dev');
      instance = adminToken ? await reattachDemo(server.url, adminToken) : undefined;
      if (!instance)
        fail('the data folder is bootstrapped but has no demo project; use `kms-server start` for it');
    }
    process.stdout.write(devBanner(instance, env.KMS_DEV_KMS_COMMAND?.trim() || 'kms'));
  });

program
  .command('keygen')
  .description(
    'Make a local root key (base64 of 32 random bytes) in a new file of mode 600, for start --root-key-file. Keep a copy apart from the data: without the key the data cannot be read',
  )
  .requiredOption('--out <file>', 'the file to create (never overwritten)')
  .action((opts: { out: string }) => {
    const path = resolve(opts.out);
    try {
      writeNewRootKeyFile(path);
    } catch (error) {
      fail((error as Error).message);
    }
    process.stdout.write(
      `kms-server: root key written to ${path} (mode 600); start with --root-key-file ${opts.out} and keep a copy somewhere safe: a store cannot be read without its key\n`,
    );
  });

program
  .command('bootstrap')
  .description('Bootstrap a running server over HTTP and print the response JSON (admin token included)')
  .requiredOption('--url <url>', 'server URL', env.KMS_API_URL)
  .requiredOption('--email <email>', 'admin email', env.KMS_ADMIN_EMAIL)
  .requiredOption('--password <password>', 'admin password', env.KMS_ADMIN_PASSWORD)
  .requiredOption('--organization <name>', 'organization name', env.KMS_ADMIN_ORGANIZATION)
  .action(async (opts) => {
    const base = String(opts.url)
      .replace(/\/+$/, '')
      .replace(/\/api$/, '');
    const res = await fetch(`${base}/api/v1/admin/bootstrap`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: opts.email, password: opts.password, organization: opts.organization }),
    }).catch((error: Error) => fail(`cannot reach ${base}: ${error.message}`));
    const text = await res.text();
    if (!res.ok) fail(`bootstrap refused: ${describeRefusal(res.status, text)}`);
    process.stdout.write(`${text}\n`);
  });

program
  .command('apply')
  .description(
    'Make a running server hold what a YAML or JSON file describes (projects, environments, folders, secrets, tags, imports, identities with Universal/OIDC/JWT Auth, memberships). Idempotent; never deletes; prints created credentials once. Admin token from KMS_ADMIN_TOKEN, or the bootstrap the file describes on a new server',
  )
  .argument('<file>', 'the file (.yaml, .yml or .json)')
  .option('--url <url>', 'server URL (default KMS_API_URL, else KMS_SITE_URL, else http://127.0.0.1:8080)')
  .option('--dry-run', 'read the server and print the plan; change nothing')
  .action(async (file: string, opts: { url?: string; dryRun?: boolean }) => {
    const code = await runApply({
      file,
      url: opts.url ?? env.KMS_API_URL ?? env.KMS_SITE_URL ?? 'http://127.0.0.1:8080',
      dryRun: opts.dryRun === true,
      env,
      out: (line) => process.stdout.write(`${line}\n`),
      err: (line) => process.stderr.write(`${line}\n`),
    });
    process.exitCode = code;
  });

program
  .command('rotate-root-key')
  .description(
    'With the server stopped: re-wrap every data key from the current root key (KMS_KEY_BACKEND and its settings) ' +
      'to a new one (NEW_KMS_KEY_BACKEND, or --to, with the same settings prefixed NEW_, e.g. NEW_ROOT_ENCRYPTION_KEY), in one transaction',
  )
  .option('--data-dir <dir>', 'folder holding kms.db', env.KMS_DATA_DIR ?? './kms-data')
  .option('--database-url <url>', DATABASE_URL_HELP)
  .option('--root-key-file <file>', `${ROOT_KEY_FILE_HELP} (the current key)`)
  .option(
    '--to <backend>',
    'target backend: local, kms, vault-transit or aws-kms (default: NEW_KMS_KEY_BACKEND, else the current one)',
  )
  .action(async (opts) => {
    assertStoreExists(opts);
    const current = withRootKeyFile(opts.rootKeyFile).env;
    const from = await keyManagerOrExit(current);
    const to = await keyManagerOrExit(
      {
        ...current,
        NEW_KMS_KEY_BACKEND: opts.to ?? env.NEW_KMS_KEY_BACKEND ?? env.KMS_KEY_BACKEND,
      },
      'NEW_',
    );
    const source = from.describe();
    const target = to.describe();
    const store = await openExistingStore(opts);
    try {
      // The rotation is audited: a chain that fails its tail check refuses before any key changes.
      await store.audit.checkTail(auditChainKey(await serverSigningSecret(store, from)));
      // Keys already under the target are left alone, so a second run after a success is a no-op.
      const count = await store.rewrapKeys(async (wrapped) =>
        wrapped.keyId === target.keyId ? undefined : to.wrapDataKey(await from.unwrapDataKey(wrapped)),
      );
      const secret = await serverSigningSecret(store, to);
      const retention = env.KMS_AUDIT_RETENTION_DAYS ? positiveInt(env.KMS_AUDIT_RETENTION_DAYS) : 365;
      const log = new AuditLog(
        store.audit,
        Date.now,
        retention,
        async () => auditChainKey(secret),
        () => target.keyId,
      );
      await log.record(
        {
          type: 'rotate-root-key',
          metadata: {
            fromBackend: source.backend,
            fromKeyId: source.keyId,
            toBackend: target.backend,
            rewrapped: count,
          },
        },
        { type: 'operator', metadata: { command: 'kms-server rotate-root-key' } },
        { ipAddress: null, userAgent: 'kms-server' },
      );
      process.stdout.write(
        count === 0
          ? `nothing to re-wrap: every key is already wrapped by ${target.backend} ${target.keyId}\n`
          : `re-wrapped ${count} keys from ${source.backend} ${source.keyId.slice(0, 48)} to ${target.backend} ${target.keyId.slice(0, 48)}; start the server with the new key backend settings\n`,
      );
    } catch (error) {
      fail(
        error instanceof RootKeyError || error instanceof KeyBackendError || error instanceof AuditChainError
          ? `${error.message}; nothing changed`
          : `rotation failed, nothing changed: ${(error as Error).message}`,
      );
    } finally {
      await store.close();
    }
  });

const audit = program.command('audit').description('Audit-log tools');
audit
  .command('verify')
  .description(
    "Walk the keyed hash chain to its sealed head and report the first broken link. Needs the root key: the KMS_KEY_BACKEND settings (ROOT_ENCRYPTION_KEY, or the dev data folder's root.key, for local)",
  )
  .option('--data-dir <dir>', 'folder holding kms.db', env.KMS_DATA_DIR ?? './kms-data')
  .option('--database-url <url>', DATABASE_URL_HELP)
  .option('--root-key-file <file>', ROOT_KEY_FILE_HELP)
  .option(
    '--checkpoint <line>',
    'an `audit checkpoint` log line (or its kms-audit-checkpoint token): also prove the chain still holds the entry it names',
  )
  .action(async (opts) => {
    const checkpoint = opts.checkpoint === undefined ? undefined : parseCheckpoint(opts.checkpoint);
    if (opts.checkpoint !== undefined && !checkpoint)
      fail('--checkpoint must be an `audit checkpoint` log line or its kms-audit-checkpoint.v1 token');
    // The store first: with no store, advice about the key would send the operator the wrong way.
    assertStoreExists(opts);
    const keys = await auditKeys(opts);
    const store = await openExistingStore(opts);
    let result: Awaited<ReturnType<typeof verifyStoredAuditLog>>;
    try {
      result = await verifyStoredAuditLog(store, keys, checkpoint);
    } catch (error) {
      await store.close();
      fail(`cannot verify: ${(error as Error).message}`);
    }
    await store.close();
    if (result.ok) {
      process.stdout.write(
        `audit chain ok: ${result.entries} entries${checkpoint ? `; holds checkpoint entry ${checkpoint.seq}` : ''}\n`,
      );
    } else {
      const b = result.brokenAt;
      process.stdout.write(`audit chain BROKEN at entry seq ${b.seq} (id ${b.id}): ${b.reason}\n`);
      process.exit(1);
    }
  });

audit
  .command('seal')
  .description(
    'Write the sealed head record for a chain that has none (a store from before the head record), after checking every link. Run `audit verify` first: this accepts the entries as they are',
  )
  .option('--data-dir <dir>', 'folder holding kms.db', env.KMS_DATA_DIR ?? './kms-data')
  .option('--database-url <url>', DATABASE_URL_HELP)
  .option('--root-key-file <file>', ROOT_KEY_FILE_HELP)
  .action(async (opts) => {
    assertStoreExists(opts);
    const keys = await auditKeys(opts);
    const store = await openExistingStore(opts);
    try {
      const config = await store.access.getConfig();
      if (!config) fail('the store has no server config');
      const key = auditChainKey(await keys.unwrapDataKey(config.jwtSecret));
      if (await store.audit.head()) fail('the chain already has a head record: nothing to seal');
      const walked = await verifyAuditChain(store.audit.all(), { key, head: undefined });
      if (walked.ok || walked.brokenAt.reason !== 'the head record is missing') {
        const b = walked.ok ? undefined : walked.brokenAt;
        fail(`not sealed: entry ${b?.seq} (id ${b?.id}): ${b?.reason}`);
      }
      const head = await store.audit.sealHeadless(key);
      process.stdout.write(
        `audit chain sealed at entry ${head?.lastSeq ?? 0} (${walked.entries} entries); the server will start\n`,
      );
    } catch (error) {
      fail(`cannot seal: ${(error as Error).message}`);
    } finally {
      await store.close();
    }
  });

/** The root key for the audit commands: --root-key-file, KMS_KEY_BACKEND settings, or the dev data folder's root.key. */
async function auditKeys(opts: { dataDir: string; rootKeyFile?: string }): Promise<KeyManager> {
  const devKeyFile = join(resolve(opts.dataDir), 'root.key');
  const local = (env.KMS_KEY_BACKEND?.trim() || 'local') === 'local';
  const given = withRootKeyFile(opts.rootKeyFile);
  return keyManagerOrExit(
    local && !given.env.ROOT_ENCRYPTION_KEY && existsSync(devKeyFile)
      ? { ...env, ROOT_ENCRYPTION_KEY: readRootKeyFile(devKeyFile) }
      : given.env,
  );
}

program.parseAsync().catch((error: Error) => fail(error.message));
