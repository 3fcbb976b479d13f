/**
 * The Express app: builds the ServerContext once (store, keys, audit log, data-key cache, change feed)
 * and mounts every router behind the http/ middleware. Wiring only: no route logic and no store calls
 * of its own beyond loading keys.
 */
import { createSecretKey, type KeyObject, randomUUID } from 'node:crypto';
import express, { type Express } from 'express';
import pino, { type DestinationStream, type Logger } from 'pino';
import { AuditLog, auditChainKey } from './audit/audit-log.js';
import { auditRouter } from './audit/audit-router.js';
import { settleAuthBeforeError } from './auth/require-auth.js';
import { authRouter } from './auth/auth-router.js';
import { SigningKeyCache } from './auth/external-jwt.js';
import { type ServerSettingsInput, serverSettingsSchema } from './config.js';
import type { ServerContext } from './context.js';
import type { KeyManager } from './crypto/key-manager.js';
import { type DataKey, toDataKey } from './crypto/value-cipher.js';
import { adminRouter } from './domains/admin/admin-router.js';
import {
  appConnectionsRouter,
  POSTGRES_CONNECTIONS_PATH,
} from './domains/app-connections/app-connections-router.js';
import { SECRET_ROTATIONS_PATH, secretRotationsRouter } from './domains/rotations/secret-rotations-router.js';
import { ChangeFeed } from './domains/changes/change-feed.js';
import { CHANGE_STREAM_PATH, changesRouter } from './domains/changes/changes-router.js';
import { SealedListings } from './domains/secrets/sealed-listings.js';
import { KeyMaterialCache } from './domains/kms/key-material-cache.js';
import { WebhookDispatcher } from './domains/webhooks/webhook-dispatcher.js';
import { webhooksRouter } from './domains/webhooks/webhooks-router.js';
import { identitiesRouter } from './domains/identities/identities-router.js';
import { KMS_PREFIX, kmsRouter } from './domains/kms/kms-router.js';
import { projectsRouter } from './domains/projects/projects-router.js';
import { secretsDomainRouter } from './domains/secrets/secrets-domain-router.js';
import { accessLog } from './http/access-log.js';
import { jsonBody } from './http/json-body.js';
import { under } from './http/mount.js';
import { errorHandler, notFoundRoute } from './http/error-handler.js';
import { rateLimiter } from './http/rate-limit.js';
import { ROUTE_DOCS } from './openapi/catalogue.js';
import { buildOpenApiDocument, OPENAPI_DOCUMENT_PATH } from './openapi/document.js';
import { openApiRouter } from './openapi/openapi-router.js';
import type { AuditChainKey, ProjectRecord } from './store/records.js';
import type { Store } from './store/store.js';

/** What createApp is built from; tests inject an in-memory store and a fake clock. */
export interface AppDeps {
  store: Store;
  keys: KeyManager;
  settings?: ServerSettingsInput;
  /** Milliseconds since the epoch. @default Date.now */
  now?: () => number;
  /** pino logger; credentials and values are redacted. @default a silent logger */
  logger?: Logger;
  /**
   * Where committed changes are published; the server passes one that also carries notices between
   * replicas. @default an in-process feed
   */
  changes?: ChangeFeed;
}

/** Paths pino must never print. */
export const REDACTED_LOG_PATHS = [
  'req.headers.authorization',
  '*.authorization',
  '*.clientSecret',
  '*.accessToken',
  '*.secretValue',
  '*.plaintext',
  '*.password',
  '*.token',
];

/** A pino logger with the server's redaction rules. */
export function createLogger(
  options: { level?: string; enabled?: boolean; destination?: DestinationStream } = {},
): Logger {
  const settings = {
    level: options.level ?? 'info',
    enabled: options.enabled ?? true,
    redact: { paths: REDACTED_LOG_PATHS, censor: '[REDACTED]' },
  };
  return options.destination ? pino(settings, options.destination) : pino(settings);
}

/**
 * The server's token-signing secret, created (wrapped by the root key) on first use. Throws
 * RootKeyError when the configured root key cannot unwrap it.
 */
export async function serverSigningSecret(store: Store, keys: KeyManager): Promise<Buffer> {
  const existing = await store.access.getConfig();
  if (existing) return keys.unwrapDataKey(existing.jwtSecret);
  const { plaintext, wrapped } = await keys.generateDataKey();
  const stored = await store.access.initConfig({
    initialized: false,
    adminIdentityIds: [],
    jwtSecret: wrapped,
  });
  // Another replica starting at the same moment may have stored its secret first: use that one.
  if (stored.jwtSecret.wrapped === wrapped.wrapped) return plaintext;
  plaintext.fill(0);
  return keys.unwrapDataKey(stored.jwtSecret);
}

/** Reports change-feed failures (a committed write is never failed by them). */
export const changeErrorLogger = (logger: Logger) => (error: unknown, what: string) =>
  logger.error({ err: { message: (error as Error).message } }, what);

/** Builds the shared context: data-key cache, lazily created JWT signing key. */
export function createContext(deps: AppDeps): ServerContext {
  const settings = serverSettingsSchema.parse(deps.settings ?? {});
  const now = deps.now ?? Date.now;
  const logger = deps.logger ?? createLogger({ enabled: false });
  // Unwrapped project data keys by project id, with the wrapped form they came from: a re-wrapped
  // key (root-key rotation, possibly by another replica) is unwrapped again.
  const dataKeys = new Map<string, { wrapped: string; key: Promise<DataKey> }>();
  const cachedDataKey = (project: ProjectRecord) => {
    const entry = dataKeys.get(project.id);
    return entry && entry.wrapped === project.dataKey.wrapped ? entry : undefined;
  };
  // The token-signing secret (wrapped by the root key in the server config) is unwrapped once;
  // the JWT key and the audit chain key both come from it.
  let signingSecret: Promise<Buffer> | undefined;
  const loadSigningSecret = () => {
    signingSecret ??= serverSigningSecret(deps.store, deps.keys).catch((error) => {
      signingSecret = undefined;
      throw error;
    });
    return signingSecret;
  };
  let jwtKey: Promise<KeyObject> | undefined;
  let auditKey: Promise<AuditChainKey> | undefined;
  return {
    store: deps.store,
    keys: deps.keys,
    settings,
    sealedListings: new SealedListings(),
    keyMaterial: new KeyMaterialCache(now),
    changes: deps.changes ?? new ChangeFeed(deps.store, changeErrorLogger(logger)),
    signingKeys: new SigningKeyCache(
      {
        allowPrivateUrls: settings.allowPrivateUrls || settings.oidc.allowPrivateUrls,
        keysMaxAgeMs: settings.oidc.keysMaxAgeSeconds * 1000,
        minRefetchIntervalMs: settings.oidc.minRefetchIntervalSeconds * 1000,
        fetchTimeoutMs: settings.oidc.fetchTimeoutMs,
      },
      now,
    ),
    logger,
    now,
    audit: new AuditLog(
      deps.store.audit,
      now,
      settings.auditRetentionDays,
      () => {
        auditKey ??= loadSigningSecret().then(auditChainKey);
        return auditKey.catch((error) => {
          auditKey = undefined;
          throw error;
        });
      },
      () => deps.keys.describe().keyId,
    ),
    loadDataKey(project: ProjectRecord) {
      const cached = cachedDataKey(project);
      if (cached) return cached.key;
      const key = deps.keys.unwrapDataKey(project.dataKey).then((raw) => {
        const dataKey = toDataKey(raw);
        raw.fill(0);
        return dataKey;
      });
      const entry = { wrapped: project.dataKey.wrapped, key };
      dataKeys.set(project.id, entry);
      key.catch(() => {
        if (dataKeys.get(project.id) === entry) dataKeys.delete(project.id);
      });
      return key;
    },
    jwtKey() {
      jwtKey ??= loadSigningSecret().then((secret) => createSecretKey(secret));
      return jwtKey.catch((error) => {
        jwtKey = undefined;
        throw error;
      });
    },
  };
}

/** Builds the Express app serving the Hanzo KMS API (over `ctx`, when the caller shares it with other parts). */
export function createApp(deps: AppDeps, ctx: ServerContext = createContext(deps)): Express {
  ctx.changes.subscribe(new WebhookDispatcher(ctx));
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.set('trust proxy', ctx.settings.trustProxy);
  app.set('query parser', 'simple');

  // One layer for what every request needs first (each Express layer is a walk step of its own):
  // its id, its access-log line, and its body checked and parsed.
  const startAccessLog = accessLog(ctx.logger);
  const body = jsonBody(ctx.settings.maxBodyBytes);
  app.use((req, res, next) => {
    req.reqId = `req-${randomUUID()}`;
    res.setHeader('x-request-id', req.reqId);
    startAccessLog(req, res);
    body(req, res, next);
  });
  if (ctx.settings.rateLimit) app.use(rateLimiter(ctx.settings.rateLimit, ctx.now));

  // Each router is entered only for the path prefixes its routes live under (test/routing.test.ts
  // checks every documented route is reachable), in this order: where two routers share a prefix
  // (projects and the secrets domain under /api/v1/workspace), the earlier one still runs first.
  app.use(KMS_PREFIX, kmsRouter(ctx));
  app.use(under('/api/status', '/api/v1/admin'), adminRouter(ctx));
  app.use(under('/api/v1/auth'), authRouter(ctx));
  app.use(under('/api/v1/identities'), identitiesRouter(ctx));
  app.use(under('/api/v1/workspace', '/api/v2/workspace', '/api/v1/projects'), projectsRouter(ctx));
  app.use(
    under(
      '/api/v3/secrets',
      '/api/v1/secret',
      '/api/v1/workspace',
      '/api/v1/secret-snapshot',
      '/api/v1/folders',
      '/api/v1/secret-imports',
      '/api/v2/secret-imports',
      '/api/v1/projects',
    ),
    secretsDomainRouter(ctx),
  );
  app.use(under('/api/v1/audit-logs', '/api/v1/organization/audit-logs'), auditRouter(ctx));
  app.use(under(POSTGRES_CONNECTIONS_PATH), appConnectionsRouter(ctx));
  app.use(under(SECRET_ROTATIONS_PATH), secretRotationsRouter(ctx));
  app.use(
    under(OPENAPI_DOCUMENT_PATH),
    openApiRouter(() => buildOpenApiDocument(ROUTE_DOCS)),
  );
  app.use(under('/api/v1/webhooks'), webhooksRouter(ctx));
  app.use(under(CHANGE_STREAM_PATH), changesRouter(ctx));

  app.use(notFoundRoute);
  app.use(settleAuthBeforeError(ctx));
  app.use(errorHandler(ctx.logger));
  return app;
}
