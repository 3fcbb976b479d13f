// The transport calls fetch unbound: workerd's and browsers' global fetch throw "Illegal invocation"
// when called as a method of another object (the runtime matrix in tests/runtimes runs it in workerd).
import { describe, expect, it } from 'vitest';
import { KmsClient } from '../src/index.js';

describe('the fetch the transport calls', () => {
  it('is called without the transport as `this`', async () => {
    const receivers: unknown[] = [];
    const fetch = function (this: unknown) {
      receivers.push(this);
      return Promise.resolve(
        new Response(JSON.stringify({ folders: [] }), { headers: { 'content-type': 'application/json' } }),
      );
    };
    const kms = new KmsClient({ siteUrl: 'http://127.0.0.1:1', fetch });
    kms.auth.accessToken('token-for-binding-test');
    await kms.folders.list({ projectId: 'p', environment: 'dev' });
    expect(receivers).toEqual([undefined]);
  });
});
