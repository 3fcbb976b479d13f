/**
 * One webhook POST: upstream's `x-infisical-signature` header, a timeout, and the same
 * private-address guard as OIDC discovery (auth/provider-fetch.ts), applied when the connection is
 * made so a DNS answer cannot change between the check and the connection.
 */
import { createHmac } from 'node:crypto';
import { lookup as dnsLookup } from 'node:dns/promises';
import http from 'node:http';
import https from 'node:https';
import { isIP } from 'node:net';
import { guardedLookup, isPrivateAddress } from '../../auth/provider-fetch.js';

/** A delivery failed; `message` says why (never the URL, which may carry a token, nor the key). */
export class WebhookRequestError extends Error {
  override name = 'WebhookRequestError';
}

/** What the private-address advice tells an operator to set. */
export const ALLOW_PRIVATE_HINT = 'set KMS_ALLOW_PRIVATE_URLS=true to allow it';

/** Upstream's signature header value: `t=<timestamp ms>;<hex HMAC-SHA256 of the body under the key>`. */
export function webhookSignature(body: string, key: string, timestamp: number): string {
  return `t=${timestamp};${createHmac('sha256', key).update(body).digest('hex')}`;
}

/**
 * Why `url` may not be a webhook target, or undefined when it may: not http(s), or a host that is or
 * resolves to a private address while those are not allowed. Used when a webhook is created.
 */
export async function webhookUrlProblem(url: string, allowPrivate: boolean): Promise<string | undefined> {
  let target: URL;
  try {
    target = new URL(url);
  } catch {
    return 'webhookUrl is not a URL';
  }
  if (target.protocol !== 'https:' && target.protocol !== 'http:')
    return 'webhookUrl must be an http or https URL';
  if (allowPrivate) return undefined;
  const host = target.hostname.replace(/^\[|\]$/g, '');
  let addresses: string[];
  if (isIP(host) !== 0) addresses = [host];
  else {
    try {
      addresses = (await dnsLookup(host, { all: true })).map((a) => a.address);
    } catch {
      return `webhookUrl host ${host} does not resolve`;
    }
  }
  const refused = addresses.find(isPrivateAddress);
  return refused ? `webhookUrl points to a private address (${refused}); ${ALLOW_PRIVATE_HINT}` : undefined;
}

/** How one POST is made. */
export interface WebhookRequestOptions {
  allowPrivate: boolean;
  timeoutMs: number;
  /** The webhook's signing key; without one the request is unsigned (as upstream). */
  key?: string | undefined;
  signal?: AbortSignal | undefined;
}

/**
 * POSTs `payload` (whose `timestamp` the signature covers) as JSON; resolves with the status of a
 * 2xx answer, rejects with {@link WebhookRequestError} otherwise.
 */
export function postWebhook(
  url: string,
  payload: { timestamp: number } & Record<string, unknown>,
  options: WebhookRequestOptions,
): Promise<number> {
  let target: URL;
  try {
    target = new URL(url);
  } catch {
    return Promise.reject(new WebhookRequestError('the webhook URL is not a URL'));
  }
  const host = target.hostname.replace(/^\[|\]$/g, '');
  if (isIP(host) !== 0 && !options.allowPrivate && isPrivateAddress(host))
    return Promise.reject(
      new WebhookRequestError(`the webhook URL is a private address (${host}); ${ALLOW_PRIVATE_HINT}`),
    );
  const body = JSON.stringify(payload);
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    'content-length': String(Buffer.byteLength(body)),
    'user-agent': 'hanzo-kms-webhook',
  };
  if (options.key) headers['x-infisical-signature'] = webhookSignature(body, options.key, payload.timestamp);
  const client = target.protocol === 'https:' ? https : http;
  return new Promise((resolve, reject) => {
    let settled = false;
    const finish = (error: string | undefined, status?: number) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', onAbort);
      if (error) reject(new WebhookRequestError(error));
      else resolve(status!);
    };
    const request = client.request(
      target,
      { method: 'POST', headers, lookup: guardedLookup(options.allowPrivate) as never, agent: false },
      (response) => {
        const status = response.statusCode ?? 0;
        // The body is not needed: drain it so the socket closes.
        response.resume();
        response.on('end', () =>
          status >= 200 && status < 300
            ? finish(undefined, status)
            : finish(`the receiver answered HTTP ${status}`),
        );
        response.on('error', (error) => finish(`the answer failed: ${error.message}`));
      },
    );
    const timer = setTimeout(() => {
      finish(`no answer within ${options.timeoutMs} ms`);
      request.destroy();
    }, options.timeoutMs);
    timer.unref();
    const onAbort = () => {
      finish('the delivery was cancelled (server shutting down)');
      request.destroy();
    };
    if (options.signal?.aborted) return onAbort();
    options.signal?.addEventListener('abort', onAbort, { once: true });
    request.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'EPRIVATEADDRESS') finish(`${error.message}; ${ALLOW_PRIVATE_HINT}`);
      else finish(`the request failed: ${error.code ?? error.message}`);
    });
    request.end(body);
  });
}
