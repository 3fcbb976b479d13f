/**
 * The server's settings: their zod schemas and defaults (listen address, store, rate limits, key
 * backend). Validation only; reading the environment is cli.ts's job.
 */
import { z } from 'zod';

/** Per-IP request budgets, each over `windowSeconds` (the contract's community defaults). */
export const rateLimitSchema = z.strictObject({
  windowSeconds: z.number().int().positive().default(60),
  /** Every request of one IP, whatever its bucket (upstream's global limit). */
  globalLimit: z.number().int().positive().default(600),
  readLimit: z.number().int().positive().default(60),
  writeLimit: z.number().int().positive().default(200),
  secretsLimit: z.number().int().positive().default(40),
  authLimit: z.number().int().positive().default(60),
  projectCreationLimit: z.number().int().positive().default(5),
});
export type RateLimitConfig = z.output<typeof rateLimitSchema>;

/** OIDC and JWT Auth: fetching providers' signing keys (docs/oidc-spiffe.md). */
export const oidcSettingsSchema = z.strictObject({
  /** Allow discovery and JWKS URLs on loopback, link-local or private addresses (`KMS_OIDC_ALLOW_PRIVATE_URLS`). */
  allowPrivateUrls: z.boolean().default(false),
  /** How long fetched signing keys are used before they are fetched again. */
  keysMaxAgeSeconds: z.number().int().positive().default(600),
  /** Least time between two fetches caused by a token naming an unknown key. */
  minRefetchIntervalSeconds: z.number().min(0).default(5),
  /** Timeout of one discovery or JWKS request. */
  fetchTimeoutMs: z.number().int().positive().default(5000),
});

/** Secret rotations: the scheduler every replica runs (docs/rotation.md). */
export const rotationSettingsSchema = z.strictObject({
  /** Run the scheduler in this process (`KMS_ROTATION_SCHEDULER=off` turns it off). */
  schedulerEnabled: z.boolean().default(true),
  /** How often the scheduler looks for due rotations. */
  pollIntervalMs: z.number().int().positive().default(30_000),
  /** How long a replica holds a rotation it took; a crashed holder's rotation is resumed after it. */
  leaseSeconds: z.number().int().positive().default(300),
  /**
   * Test setting: the length of one day of `rotationInterval`, in seconds (`rotateAtUtc` is then
   * ignored). Only tests and demos shorten it (`KMS_TEST_ROTATION_DAY_SECONDS`).
   */
  dayLengthSeconds: z.number().int().positive().default(86_400),
  /**
   * Test setting: a pause between a rotation's two phases, so a crash test can kill the process
   * there (`KMS_TEST_ROTATION_PHASE_PAUSE_MS`).
   */
  pauseBetweenPhasesMs: z.number().int().min(0).default(0),
});

/** Webhook deliveries (docs/webhooks.md). */
export const webhookSettingsSchema = z.strictObject({
  /** Timeout of one delivery attempt (upstream's 15 s). */
  timeoutMs: z.number().int().positive().default(15_000),
  /** Attempts per delivery, the first included; a 2xx answer ends them. */
  attempts: z.number().int().min(1).max(10).default(3),
  /** Wait before the second attempt; doubled before each later one. */
  retryDelayMs: z.number().int().min(0).default(1000),
  /** Deliveries in flight at once per replica; the rest wait in a queue. */
  maxConcurrent: z.number().int().positive().default(8),
  /** Deliveries allowed to wait; beyond it a delivery is recorded as failed, not queued. */
  maxQueued: z.number().int().positive().default(1000),
});

/** The change-notice stream (docs/change-delivery.md). */
export const changeStreamSettingsSchema = z.strictObject({
  /** A comment line this often keeps proxies from closing the stream; the token is re-checked with it. */
  heartbeatMs: z.number().int().positive().default(15_000),
  /** A stream that carried no notice for this long is ended; the client reconnects and resumes. */
  idleTimeoutMs: z.number().int().positive().default(600_000),
  /** Open streams per identity, on this replica. */
  maxPerIdentity: z.number().int().positive().default(50),
  /** Open streams in total, on this replica. */
  maxTotal: z.number().int().positive().default(2000),
  /** Bytes a reader may leave unread before its stream is cut (it reconnects and resumes). */
  maxBufferedBytes: z
    .number()
    .int()
    .positive()
    .default(64 * 1024),
  /** Most notices replayed on resume; beyond it the stream says `reset` (re-read everything). */
  maxReplay: z.number().int().positive().default(500),
});

/** Behaviour switches of one server instance (transport and storage live in StartServerOptions). */
export const serverSettingsSchema = z.strictObject({
  /** `false` disables rate limiting (tests); an object overrides single buckets. */
  rateLimit: z.union([z.literal(false), rateLimitSchema]).default(rateLimitSchema.parse({})),
  /** How long audit entries are kept. */
  auditRetentionDays: z.number().int().positive().default(365),
  /** Largest accepted request body. */
  maxBodyBytes: z
    .number()
    .int()
    .positive()
    .default(1024 * 1024),
  /** Express `trust proxy` setting: honour X-Forwarded-For from these hops. */
  trustProxy: z.union([z.boolean(), z.number().int(), z.string()]).default(false),
  /**
   * Allow every outbound request (OIDC discovery and JWKS, webhook deliveries) to reach loopback,
   * link-local or private addresses (`KMS_ALLOW_PRIVATE_URLS`); `oidc.allowPrivateUrls` still allows
   * it for OIDC alone.
   */
  allowPrivateUrls: z.boolean().default(false),
  oidc: oidcSettingsSchema.default(oidcSettingsSchema.parse({})),
  rotations: rotationSettingsSchema.default(rotationSettingsSchema.parse({})),
  webhooks: webhookSettingsSchema.default(webhookSettingsSchema.parse({})),
  changeStream: changeStreamSettingsSchema.default(changeStreamSettingsSchema.parse({})),
});
export type ServerSettings = z.output<typeof serverSettingsSchema>;
export type ServerSettingsInput = z.input<typeof serverSettingsSchema>;
