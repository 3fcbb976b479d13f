// verifyWebhookSignature against signatures made the way the server makes them
// (reference-server/src/domains/webhooks/webhook-request.ts): node:crypto HMAC over the raw body.
import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { KmsValidationError, verifyWebhookSignature } from '../src/index.js';

const KEY = 'whsec-test-key-41d2';
const NOW = Date.parse('2026-03-01T12:00:00Z');
const body = JSON.stringify({ event: 'secrets.modified', project: { projectId: 'p1' }, timestamp: NOW });
const sign = (raw: string, key = KEY, t = NOW) =>
  `t=${t};${createHmac('sha256', key).update(raw).digest('hex')}`;

describe('verifyWebhookSignature', () => {
  it('accepts the header upstream sends, for a string or the same bytes', async () => {
    expect(await verifyWebhookSignature(body, sign(body), KEY, { now: NOW })).toBe(true);
    expect(await verifyWebhookSignature(new TextEncoder().encode(body), sign(body), KEY, { now: NOW })).toBe(
      true,
    );
    expect(
      await verifyWebhookSignature(body, sign(body).toUpperCase().replace('T=', 't='), KEY, { now: NOW }),
    ).toBe(true);
  });

  it('refuses another key, a changed body, a changed signature and a malformed or missing header', async () => {
    expect(await verifyWebhookSignature(body, sign(body, 'other-key'), KEY, { now: NOW })).toBe(false);
    expect(await verifyWebhookSignature(`${body} `, sign(body), KEY, { now: NOW })).toBe(false);
    const flipped = sign(body).replace(/.$/, (c) => (c === '0' ? '1' : '0'));
    expect(await verifyWebhookSignature(body, flipped, KEY, { now: NOW })).toBe(false);
    for (const header of [undefined, null, '', 'garbage', `t=${NOW}`, `t=${NOW};abc`, `${sign(body)};x`]) {
      expect(await verifyWebhookSignature(body, header, KEY, { now: NOW })).toBe(false);
    }
  });

  it('refuses a timestamp outside the tolerance either way (a replay), default 5 minutes', async () => {
    const header = sign(body);
    expect(await verifyWebhookSignature(body, header, KEY, { now: NOW + 299_000 })).toBe(true);
    expect(await verifyWebhookSignature(body, header, KEY, { now: NOW + 301_000 })).toBe(false);
    expect(await verifyWebhookSignature(body, header, KEY, { now: NOW - 301_000 })).toBe(false);
    expect(await verifyWebhookSignature(body, header, KEY, { now: NOW + 2000, toleranceMs: 1000 })).toBe(
      false,
    );
  });

  it('throws a validation error naming the field for a bad key, body or tolerance', async () => {
    await expect(verifyWebhookSignature(body, sign(body), '')).rejects.toMatchObject({
      name: 'KmsValidationError',
      field: 'key',
    });
    await expect(verifyWebhookSignature({} as never, sign(body), KEY)).rejects.toBeInstanceOf(
      KmsValidationError,
    );
    await expect(verifyWebhookSignature(body, sign(body), KEY, { toleranceMs: -1 })).rejects.toMatchObject({
      field: 'toleranceMs',
    });
  });
});
