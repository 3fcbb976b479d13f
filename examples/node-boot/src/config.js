// The service's typed configuration. By the time this module runs, `--import @hanzo/kms-node/register`
// has put the secrets in process.env; defineSecrets validates them and fails the boot with the names of
// missing or invalid keys (never their values).
import { defineSecrets } from '@hanzo/kms-node';
import * as z from 'zod';

export const config = defineSecrets(
  z.object({
    DATABASE_URL: z.url(),
    PORT: z.coerce.number().int().min(0).max(65535).default(3000),
    HOST: z.string().default('127.0.0.1'),
    /** How often to look for rotated secrets, in milliseconds. */
    KMS_WATCH_INTERVAL: z.coerce.number().int().positive().default(30_000),
  }),
);
