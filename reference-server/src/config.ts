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
  oidc: oidcSettingsSchema.default(oidcSettingsSchema.parse({})),
  rotations: rotationSettingsSchema.default(rotationSettingsSchema.parse({})),
});
export type ServerSettings = z.output<typeof serverSettingsSchema>;
export type ServerSettingsInput = z.input<typeof serverSettingsSchema>;
