/** Request schemas of the webhook routes (upstream's fields and defaults). */
import { z } from 'zod';
import { environmentSlugSchema, uuidSchema } from '../../shared/schemas.js';
import { MAX_PATH_LENGTH } from '../secrets/paths.js';
import { SUBSCRIBABLE_WEBHOOK_EVENTS } from './webhook-payloads.js';

// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are exactly what is refused
const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f]/;

/** A secret-path glob (`/`, `/app/**`): leading slash added and trailing slash removed, as upstream. */
const secretPathGlob = z
  .string()
  .trim()
  .max(MAX_PATH_LENGTH)
  .refine((p) => !CONTROL_CHARACTERS.test(p), 'secretPath must not contain control characters')
  .transform((raw) => {
    const path = raw.startsWith('/') ? raw : `/${raw}`;
    return path.length > 1 && path.endsWith('/') ? path.slice(0, -1) : path;
  });

const eventsFilter = z.array(z.strictObject({ eventName: z.enum(SUBSCRIBABLE_WEBHOOK_EVENTS) })).max(10);

/** POST /api/v1/webhooks. Only upstream's `general` type (a signed JSON POST) is delivered. */
export const createWebhookBody = z.object({
  type: z.literal('general').default('general'),
  projectId: z.string().trim().min(1),
  environment: environmentSlugSchema,
  webhookUrl: z
    .url({ protocol: /^https?$/, error: 'webhookUrl must be an http or https URL' })
    .trim()
    .max(2048),
  webhookSecretKey: z.string().trim().max(1024).optional(),
  secretPath: secretPathGlob.default('/'),
  eventsFilter: eventsFilter.optional(),
});

/** PATCH /api/v1/webhooks/:webhookId: at least one field. */
export const updateWebhookBody = z
  .object({ isDisabled: z.boolean().optional(), eventsFilter: eventsFilter.optional() })
  .refine(
    (b) => b.isDisabled !== undefined || b.eventsFilter !== undefined,
    'At least one field is required',
  );

/** GET /api/v1/webhooks. */
export const listWebhooksQuery = z.object({
  projectId: z.string().trim().min(1),
  environment: environmentSlugSchema.optional(),
  secretPath: secretPathGlob.optional(),
});

/** `:webhookId`. */
export const webhookIdParams = z.object({ webhookId: uuidSchema });
