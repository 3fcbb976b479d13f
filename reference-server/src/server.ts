import { randomBytes } from 'node:crypto';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { type AppDeps, createApp, createContext, createLogger } from './app.js';
import { newTokenRecord, signAccessToken } from './auth/access-tokens.js';
import type { RateLimitConfig, ServerSettingsInput } from './config.js';
import { LocalKeyManager, parseRootKey } from './crypto/key-manager.js';
import { legacyResealer, SEALED_PREFIX } from './domains/secrets/secret-crypto.js';
import { createSqliteStore, type Store } from './store/store.js';

/** How to start a reference server. */
export interface StartServerOptions {
  /** TCP port; 0 picks a free one. @default 0 */
  port?: number;
  /** Interface to bind. @default '127.0.0.1' */
  host?: string;
  /** SQLite file path, or ':memory:'. Overrides `dataDir`. @default ':memory:' unless dataDir is set */
  database?: string;
  /** Folder holding `kms.db` (created with mode 0700). */
  dataDir?: string;
  /** Base64 of 32 bytes. @default a random key (fine for `:memory:`, fatal for data you want back) */
  rootEncryptionKey?: string;
  /** `false` disables rate limiting; an object overrides buckets. @default the contract's community limits */
  rateLimit?: false | Partial<RateLimitConfig>;
  /** Other settings (audit retention, body limit, trust proxy). */
  settings?: Omit<ServerSettingsInput, 'rateLimit'>;
  /** `true` logs JSON lines to stdout (redacted); a pino logger is used as is. @default false */
  logger?: boolean | Logger;
  /** Clock in ms, for tests that move time. @default Date.now */
  now?: () => number;
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
  /** Stops accepting connections, ends idle keep-alive sockets and closes the store. */
  close(): Promise<void>;
}

/** Starts the Hanzo KMS API on a loopback port (for tests, the CLI and `kms-server dev`). */
export async function startServer(options: StartServerOptions = {}): Promise<RunningServer> {
  const rootKey = options.rootEncryptionKey
    ? parseRootKey(options.rootEncryptionKey, 'rootEncryptionKey')
    : randomBytes(32);
  const database = options.database ?? (options.dataDir ? join(options.dataDir, 'kms.db') : ':memory:');
  const store = createSqliteStore(database);
  const keys = new LocalKeyManager(rootKey);
  // Migration 3 needs the data keys: rows still in the legacy form are sealed again here.
  await store.resealLegacySecrets(SEALED_PREFIX, legacyResealer(keys));
  const logger =
    typeof options.logger === 'object' ? options.logger : createLogger({ enabled: options.logger === true });
  const rateLimit: false | RateLimitConfig =
    options.rateLimit === false ? false : { ...defaultRateLimit(), ...options.rateLimit };
  const deps: AppDeps = {
    store,
    keys,
    settings: { ...options.settings, rateLimit },
    logger,
    ...(options.now ? { now: options.now } : {}),
  };
  const app = createApp(deps);
  const server: Server = await new Promise((resolve, reject) => {
    const s = app.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve(s));
    s.once('error', reject);
  });
  // Keep-alive slightly above common client pools so clients, not the server, close idle sockets.
  server.keepAliveTimeout = 65_000;
  const { port } = server.address() as AddressInfo;
  // Expired audit entries are purged at start and hourly; the timer never keeps the process alive.
  const purgeAudit = () => {
    store.audit.purgeExpired(new Date((options.now ?? Date.now)()).toISOString()).catch((error: Error) => {
      logger.error({ err: { message: error.message } }, 'audit purge failed');
    });
  };
  purgeAudit();
  const purgeTimer = setInterval(purgeAudit, 3_600_000);
  purgeTimer.unref();
  const host = options.host ?? '127.0.0.1';
  const urlHost = host.includes(':') ? `[${host}]` : host === '0.0.0.0' ? '127.0.0.1' : host;
  let closing: Promise<void> | undefined;
  return {
    url: `http://${urlHost}:${port}`,
    port,
    store,
    async issueAdminToken(name = 'Admin Token') {
      const ctx = createContext(deps);
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
      closing ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
        // In-flight requests get a short grace period, then their sockets are cut.
        setTimeout(() => server.closeAllConnections(), 2000).unref();
      }).then(() => store.close());
      return closing;
    },
  };
}

function defaultRateLimit(): RateLimitConfig {
  return {
    windowSeconds: 60,
    readLimit: 60,
    writeLimit: 200,
    secretsLimit: 40,
    authLimit: 60,
    projectCreationLimit: 5,
  };
}
