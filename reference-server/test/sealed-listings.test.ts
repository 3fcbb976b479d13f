// A repeated secrets listing is served from a sealed copy of its body (src/domains/secrets/sealed-listings.ts):
// the copy must change with every write, stay per caller and query, and still audit each read.
import { afterEach, beforeEach, expect, it } from 'vitest';
import { SealedListings } from '../src/domains/secrets/sealed-listings.js';
import { startTestServer, type TestServer } from './helpers/test-server.js';

let kms: TestServer;
beforeEach(async () => {
  kms = await startTestServer();
});
afterEach(() => kms.close());

it('serves the same body again, but a write, another caller or another query never meets an old copy', async () => {
  const p = await kms.createProject('sealed');
  const write = (value: string) =>
    kms.admin('PATCH', '/api/v3/secrets/raw/DB', {
      workspaceId: p.id,
      environment: 'dev',
      secretPath: '/',
      secretValue: value,
    });
  await kms.admin('POST', '/api/v3/secrets/raw/DB', {
    workspaceId: p.id,
    environment: 'dev',
    secretPath: '/',
    secretValue: 'one',
  });
  const id = await kms.createMachineIdentity({ project: { id: p.id, role: 'viewer' } });
  const token = (await kms.login(id.clientId, id.clientSecret)).body.accessToken;
  const list = (t: string, query = '') =>
    kms.call(
      'GET',
      `/api/v3/secrets/raw?workspaceId=${p.id}&environment=dev&secretPath=/${query}`,
      undefined,
      t,
    );

  const first = await list(token);
  const second = await list(token);
  expect(second.body).toEqual(first.body);
  expect(second.headers.get('content-type')).toMatch(/^application\/json/);
  expect(first.body.secrets[0].secretValue).toBe('one');

  await write('two');
  expect((await list(token)).body.secrets[0].secretValue).toBe('two');
  expect((await list(kms.adminToken)).body.secrets[0].secretValue).toBe('two');
  expect((await list(token, '&viewSecretValue=false')).body.secrets[0].secretValue).toBe('<hidden-by-kms>');

  const reads = (
    await kms.admin('GET', `/api/v1/audit-logs?projectId=${p.id}&eventType=get-secrets&limit=100`)
  ).auditLogs;
  expect(reads).toHaveLength(5);
  expect(
    reads.every(
      (r: { event: { metadata: { numberOfSecrets: number } } }) => r.event.metadata.numberOfSecrets === 1,
    ),
  ).toBe(true);
});

it('keeps only ciphertext under a process-ephemeral key, bound to the ETag', () => {
  const listings = new SealedListings();
  listings.seal('slot', '"etag-a"', Buffer.from('{"secrets":[{"secretValue":"s3cr3t"}]}'), 1);
  expect(listings.open('slot', '"etag-a"')).toEqual({
    body: Buffer.from('{"secrets":[{"secretValue":"s3cr3t"}]}'),
    count: 1,
  });
  // A stale ETag (the project changed) or another slot never gets the copy.
  expect(listings.open('slot', '"etag-b"')).toBeUndefined();
  expect(listings.open('other', '"etag-a"')).toBeUndefined();
  // Another process (another instance) cannot open it: the key lives only in the instance that sealed it.
  expect(new SealedListings().open('slot', '"etag-a"')).toBeUndefined();
  const internals = Object.values(listings).map(String).join('');
  expect(internals).not.toContain('s3cr3t');
});
