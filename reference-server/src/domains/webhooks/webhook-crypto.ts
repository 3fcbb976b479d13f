/**
 * A webhook's URL and signing key at rest: AES-256-GCM under the project data key
 * (crypto/value-cipher.ts), bound to the webhook's id and the field, so a ciphertext copied onto
 * another webhook or field does not open.
 */
import { type DataKey, decryptValue, encryptValue } from '../../crypto/value-cipher.js';
import type { WebhookRecord } from '../../store/records.js';

const binding = (webhookId: string, field: 'url' | 'key') => `webhook:${webhookId}:${field}`;

/** Seals a webhook's URL and optional key for its row. */
export function sealWebhookTarget(dataKey: DataKey, webhookId: string, url: string, key: string | undefined) {
  return {
    urlCiphertext: encryptValue(dataKey, url, binding(webhookId, 'url')),
    keyCiphertext: key ? encryptValue(dataKey, key, binding(webhookId, 'key')) : null,
  };
}

/** Opens a webhook's URL and key; throws when the row was altered or moved. */
export function openWebhookTarget(dataKey: DataKey, webhook: WebhookRecord) {
  return {
    url: decryptValue(dataKey, webhook.urlCiphertext, binding(webhook.id, 'url')),
    key: webhook.keyCiphertext
      ? decryptValue(dataKey, webhook.keyCiphertext, binding(webhook.id, 'key'))
      : undefined,
  };
}
