'use server';

import { getSecret } from '@hanzo/kms-nextjs/server';

// A server action: runs on the server, so it may use a secret; only its result goes to the browser.
export async function signMessage(message: string): Promise<string> {
  const key = await getSecret('SIGNING_KEY');
  const cryptoKey = await crypto.subtle.importKey(
    'raw',
    new TextEncoder().encode(key),
    { name: 'HMAC', hash: 'SHA-256' },
    false,
    ['sign'],
  );
  const signature = await crypto.subtle.sign('HMAC', cryptoKey, new TextEncoder().encode(message));
  return `signed:${Buffer.from(signature).toString('hex')}`;
}
