// kms-node's node:http transport under the SDK, against the reference server: every method and body
// shape the SDK sends (GET, POST, PATCH, DELETE with a JSON body) must arrive intact.
import { KmsClient } from '@hanzo/kms';
import { type KmsTestServer, startKmsTestServer } from '@hanzo/kms-testing';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { nodeHttpFetch } from '../src/index.js';

let kms: KmsTestServer;
let client: KmsClient;
beforeAll(async () => {
  kms = await startKmsTestServer({
    secrets: { dev: { '/app': { A: 'a-1' } } },
    identity: { role: 'member' },
  });
  client = new KmsClient({
    siteUrl: kms.url,
    auth: { universalAuth: { clientId: kms.clientId, clientSecret: kms.clientSecret } },
    fetch: nodeHttpFetch,
  });
});
afterAll(async () => {
  await client?.close();
  await kms?.close();
});

it('creates, updates, batch-deletes (DELETE with a body) and lists over node:http', async () => {
  const where = { projectSlug: kms.projectSlug, environment: 'dev', secretPath: '/app' };
  await client.secrets.create({ ...where, secretName: 'B', secretValue: 'b-1 ünïcödé' });
  await client.secrets.update({ ...where, secretName: 'A', secretValue: 'a-2' });
  const read = await client.secrets.retrieve({ ...where, secretName: 'B' });
  expect(read.secretValue).toBe('b-1 ünïcödé');
  const deleted = await client.secrets.batch.delete({ ...where, secrets: [{ secretKey: 'B' }] });
  expect(deleted.map((s) => s.secretKey)).toEqual(['B']);
  await client.secrets.delete({ ...where, secretName: 'A' });
  const { secrets } = await client.secrets.list(where);
  expect(secrets).toEqual([]);
});
