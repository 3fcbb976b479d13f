/**
 * Starts and stops a server: store, key backend, app, change feed, rotation scheduler and the HTTP
 * listener, and shuts them down in order. No route logic.
 */
import { randomBytes } from 'node:crypto';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { Logger } from 'pino';
import {
  type AppDeps,
  changeErrorLogger,
  createApp,
  createContext,
  createLogger,
  serverSigningSecret,
} from './app.js';
import {
  type AuditCheckpoint,
  type AuditVerification,
  auditChainKey,
  formatCheckpoint,
  verifyStoredAuditLog,
} from './audit/audit-log.js';
import { newTokenRecord, signAccessToken } from './auth/access-tokens.js';
import { type RateLimitConfig, rateLimitSchema, type ServerSettingsInput } from './config.js';
import {
  KeyBackendError,
  type KeyBackendDescription,
  type KeyManager,
  LocalKeyManager,
  parseRootKey,
  RootKeyError,
} from './crypto/key-manager.js';
import { type DataKey, toDataKey } from './crypto/value-cipher.js';
import { ChangeFeed } from './domains/changes/change-feed.js';
import { PostgresChangeRelay } from './domains/changes/postgres-relay.js';
import { RotationScheduler } from './domains/rotations/rotation-scheduler.js';
import { legacyResealer, SEALED_PREFIX } from './domains/secrets/secret-crypto.js';
import { openStore, type Store } from './store/store.js';

/** How to start a reference server. */
export interface StartServerOptions {
  /** TCP port; 0 picks a free one. @default 0 */
  port?: number;
  /** Interface to bind. @default '127.0.0.1' */
  host?: string;
  /** SQLite file path, or ':memory:'. Overrides `dataDir`. @default ':memory:' unless dataDir is set */
  database?: string;
  /**
   * A PostgreSQL URL (`postgres://user:pass@host:5432/db?sslmode=verify-full&sslrootcert=ca.pem`): the data
   * lives there instead of SQLite, shared by every replica given the same URL. `dataDir` then holds no data.
   */
  databaseUrl?: string;
  /** PostgreSQL connections per replica. @default 10 */
  databasePoolSize?: number;
  /** How long `close()` lets in-flight requests finish before cutting their connections. @default 2000 */
  shutdownGraceMs?: number;
  /** Folder holding `kms.db` (created with mode 0700). */
  dataDir?: string;
  /** Base64 of 32 bytes, for the `local` key backend. @default a random key (fine for `:memory:`, fatal for data you want back) */
  rootEncryptionKey?: string;
  /** The root-key backend (crypto/backends/). @default a `local` one from `rootEncryptionKey` */
  keyManager?: KeyManager;
  /** `false` disables rate limiting; an object overrides buckets. @default the contract's community limits */
  rateLimit?: false | Partial<RateLimitConfig>;
  /** Other settings (audit retention, body limit, trust proxy). */
  settings?: Omit<ServerSettingsInput, 'rateLimit'>;
  /** `true` logs JSON lines to stdout (redacted); a pino logger is used as is. @default false */
  logger?: boolean | Logger;
  /** Clock in ms, for tests that move time. @default Date.now */
  now?: () => number;
  /**
   * Seconds between signed audit checkpoints written to the log (`auditCheckpoint`, an anchor
   * outside the database for `kms-server audit verify --checkpoint`); one is also written at
   * start-up. A checkpoint is written only when the chain moved. See docs/reference/audit-log.md.
   * @default 60
   */
  auditCheckpointSeconds?: number;
}

/** A running server. */
export interface RunningServer {
  /** Base URL without `/api`, e.g. `http://127.0.0.1:41234`. */
  url: string;
  port: number;
  store: Store;
  /**
   * Mints a new Token Auth token for the instance-admin identity (after a restart the
   * bootstrap token is gone from memory; nothing keeps it on disk). Undefined before bootstrap.
   */
  issueAdminToken(name?: string): Promise<string | undefined>;
  /** The root-key backend and the id of the root key in use (never key material). */
  keyBackend: KeyBackendDescription;
  /**
   * Walks this server's keyed audit chain to its sealed head (what `kms-server audit verify` does);
   * with a checkpoint from the log, also proves the chain still holds the entry it names.
   */
  verifyAuditLog(checkpoint?: AuditCheckpoint): Promise<AuditVerification>;
  /** Stops accepting connections, ends idle keep-alive sockets and closes the store. */
  close(): Promise<void>;
}

/**
 * Proves before listening that the root key opens this store: the server's signing secret (on an
 * empty store it is created now, and serves as the canary) and a project data key. A wrong key
 * would otherwise give a healthy-looking server that answers every request with a 500.
 */
async function assertRootKeyOpens(store: Store, keys: KeyManager): Promise<void> {
  const wrapped = [
    (await store.access.getConfig())?.jwtSecret,
    (await store.projects.listProjects())[0]?.dataKey,
  ];
  const { backend, keyId } = keys.describe();
  const expected = wrapped.find(Boolean)?.keyId ?? keyId;
  try {
    await serverSigningSecret(store, keys);
    for (const key of wrapped) if (key) (await keys.unwrapDataKey(key)).fill(0);
  } catch (error) {
    if (error instanceof KeyBackendError)
      throw new RootKeyError(`${error.message} (the store's keys are wrapped by root key ${expected})`);
    throw new RootKeyError(
      `the root key does not open this store (backend ${backend}): the store expects root key id ${expected.slice(0, 48)}…, ` +
        `the configured key has id ${keyId.slice(0, 48)}…. Start with the key the data was written or last rotated with.`,
    );
  }
}

/** Every project's data key, unwrapped (for the one-off conversion of legacy rows at start). */
async function unwrapAllDataKeys(store: Store, keys: KeyManager): Promise<Map<string, DataKey>> {
  const dataKeys = new Map<string, DataKey>();
  for (const project of await store.projects.listProjects()) {
    try {
      dataKeys.set(project.id, toDataKey(await keys.unwrapDataKey(project.dataKey)));
    } catch {
      // Left out: that project's legacy rows stay as they are and keep failing closed.
    }
  }
  return dataKeys;
}

/** How long change notices are kept for streams to resume from (docs/change-delivery.md). */
const CHANGE_NOTICE_RETENTION_MS = 15 * 60_000;

/** How often expired audit entries and dead access-token rows are deleted. */
const PURGE_INTERVAL_MS = 5 * 60_000;

/** A listen failure in words an operator acts on (the port is taken, not allowed, or the host unknown). */
function listenError(error: NodeJS.ErrnoException, host: string, port: number): Error {
  const where = `${host}:${port}`;
  const message =
    error.code === 'EADDRINUSE'
      ? `port ${port} on ${host} is already in use: stop the other server or choose another --port`
      : error.code === 'EACCES'
        ? `not allowed to listen on ${where} (ports below 1024 need privileges): choose another --port`
        : error.code === 'EADDRNOTAVAIL' || error.code === 'ENOTFOUND'
          ? `cannot listen on ${where}: the address is not on this machine (--host)`
          : `cannot listen on ${where}: ${error.message}`;
  return Object.assign(new Error(message, { cause: error }), { code: error.code });
}

/** Starts the Hanzo KMS API on a loopback port (for tests, the CLI and `kms-server dev`). */
export async function startServer(options: StartServerOptions = {}): Promise<RunningServer> {
  const keys =
    options.keyManager ??
    new LocalKeyManager(
      options.rootEncryptionKey
        ? parseRootKey(options.rootEncryptionKey, 'rootEncryptionKey')
        : randomBytes(32),
    );
  const logger =
    typeof options.logger === 'object' ? options.logger : createLogger({ enabled: options.logger === true });
  const store = await openStore(
    options.databaseUrl
      ? {
          postgres: {
            url: options.databaseUrl,
            ...(options.databasePoolSize ? { poolSize: options.databasePoolSize } : {}),
            onPoolError: (error) =>
              logger.error({ err: { message: error.message } }, 'an idle database connection failed'),
          },
        }
      : { sqlite: options.database ?? (options.dataDir ? join(options.dataDir, 'kms.db') : ':memory:') },
  );
  let chainKey: ReturnType<typeof auditChainKey> | undefined;
  try {
    await assertRootKeyOpens(store, keys);
    chainKey = auditChainKey(await serverSigningSecret(store, keys));
    // Never seal a chain that was not checked: a truncated or recomputed log refuses to start.
    await store.audit.checkTail(chainKey);
    // Migration 3 needs the data keys: rows still in the legacy form are sealed again here.
    if (await store.hasLegacySecrets(SEALED_PREFIX))
      await store.resealLegacySecrets(SEALED_PREFIX, legacyResealer(await unwrapAllDataKeys(store, keys)));
  } catch (error) {
    await store.close();
    throw error;
  }
  const rateLimit: false | RateLimitConfig =
    options.rateLimit === false ? false : rateLimitSchema.parse(options.rateLimit ?? {});
  // On PostgreSQL, notices reach the other replicas through LISTEN/NOTIFY; SQLite is one process.
  const changes = new ChangeFeed(
    store,
    changeErrorLogger(logger),
    options.databaseUrl ? new PostgresChangeRelay({ url: options.databaseUrl, logger }) : undefined,
  );
  try {
    await changes.start();
  } catch (error) {
    await store.close();
    throw error;
  }
  const deps: AppDeps = {
    store,
    keys,
    settings: { ...options.settings, rateLimit },
    logger,
    changes,
    ...(options.now ? { now: options.now } : {}),
  };
  const ctx = createContext(deps);
  const app = createApp(deps, ctx);
  const host = options.host ?? '127.0.0.1';
  const server: Server = await new Promise<Server>((resolve, reject) => {
    // Express 5 calls the listen callback with the error too (a busy port): it must not count as listening.
    const s = app.listen(options.port ?? 0, host, (error?: Error) => (error ? reject(error) : resolve(s)));
  }).catch(async (error: NodeJS.ErrnoException) => {
    await store.close();
    throw listenError(error, host, options.port ?? 0);
  });
  // Keep-alive slightly above common client pools so clients, not the server, close idle sockets.
  server.keepAliveTimeout = 65_000;
  const { port } = server.address() as AddressInfo;
  // Expired audit entries and dead token rows are purged at start and every few minutes;
  // the timer never keeps the process alive.
  const clock = options.now ?? Date.now;
  // Every replica runs it: the deletes are idempotent, and the audit purge holds the chain lock.
  const purge = () => {
    const now = clock();
    Promise.all([
      store.audit.purgeExpired(new Date(now).toISOString()),
      store.access.purgeDeadAccessTokens(now),
      store.changes.purge(new Date(now - CHANGE_NOTICE_RETENTION_MS).toISOString()),
    ]).catch((error: Error) => {
      logger.error({ err: { message: error.message } }, 'purge of expired rows failed');
    });
  };
  purge();
  const purgeTimer = setInterval(purge, PURGE_INTERVAL_MS);
  purgeTimer.unref();
  // Every replica runs a rotation scheduler; leases taken under a database lock keep one run per due time.
  const rotations = new RotationScheduler(ctx);
  rotations.start();
  const checkpointKey = chainKey as NonNullable<typeof chainKey>;
  let lastCheckpointSeq = -1;
  // The anchor outside the database: a keyed checkpoint of the chain's end, in the log.
  const checkpoint = () => {
    store.audit
      .head()
      .then((head) => {
        if (!head || head.lastSeq === lastCheckpointSeq) return;
        lastCheckpointSeq = head.lastSeq;
        logger.info(
          { auditCheckpoint: formatCheckpoint(checkpointKey, head.lastSeq, head.lastHash) },
          'audit checkpoint',
        );
      })
      .catch((error: Error) => {
        logger.error({ err: { message: error.message } }, 'audit checkpoint failed');
      });
  };
  checkpoint();
  const checkpointTimer = setInterval(checkpoint, (options.auditCheckpointSeconds ?? 60) * 1000);
  checkpointTimer.unref();
  const urlHost = host.includes(':') ? `[${host}]` : host === '0.0.0.0' ? '127.0.0.1' : host;
  let closing: Promise<void> | undefined;
  return {
    url: `http://${urlHost}:${port}`,
    port,
    store,
    keyBackend: keys.describe(),
    verifyAuditLog: (checkpoint) => verifyStoredAuditLog(store, keys, checkpoint),
    async issueAdminToken(name = 'Admin Token') {
      const config = await store.access.getConfig();
      const adminId = config?.adminIdentityIds[0];
      const method = adminId && (await store.access.getAuthMethod(adminId, 'token-auth'));
      if (!adminId || !method) return undefined;
      const now = ctx.now();
      const token = newTokenRecord(adminId, 'token-auth', method.config, now, { name });
      await store.access.insertAccessToken(token);
      return signAccessToken(ctx, token, now);
    },
    close() {
      clearInterval(purgeTimer);
      clearInterval(checkpointTimer);
      // Webhook deliveries in flight are cancelled (recorded as failed), streams end; a rotation in
      // flight finishes its phase first.
      closing ??= Promise.all([changes.close(), rotations.stop()])
        .then(
          () =>
            new Promise<void>((resolve) => {
              server.close(() => resolve());
              server.closeIdleConnections();
              // In-flight requests get a grace period, then their sockets are cut. Their writes either
              // committed before the answer was sent, or are rolled back: no acknowledged write is lost.
              setTimeout(() => server.closeAllConnections(), options.shutdownGraceMs ?? 2000).unref();
            }),
        )
        .then(() => {
          ctx.keyMaterial.clear();
          return store.close();
        });
      return closing;
    },
  };
}
