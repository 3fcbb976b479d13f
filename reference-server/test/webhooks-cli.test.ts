// The one switch for outbound requests as an operator sets it: `kms-server start` refuses a webhook
// on a private address unless KMS_ALLOW_PRIVATE_URLS=true (docs/webhooks.md#private-addresses).
import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { type CliProcess, startCli } from './helpers/cli-process.js';

const running: CliProcess[] = [];
afterEach(async () => {
  for (const p of running.splice(0)) {
    p.child.kill('SIGTERM');
    await p.exited;
  }
});

async function createLoopbackWebhook(env: Record<string, string>) {
  const p = startCli(['start', '--port', '0', '--data-dir', mkdtempSync(join(tmpdir(), 'kms-hooks-'))], {
    ROOT_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
    ...env,
  });
  running.push(p);
  const [, url] = await p.waitFor(/listening on (http:\/\/127\.0\.0\.1:\d+)/);
  const call = async (path: string, body: unknown, token?: string) => {
    const res = await fetch(`${url}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: JSON.stringify(body),
    });
    return { status: res.status, body: (await res.json()) as any };
  };
  const boot = await call('/api/v1/admin/bootstrap', {
    email: 'ops@example.test',
    password: 'S3cure-pass!',
    organization: 'ops',
  });
  const token = boot.body.identity.credentials.token as string;
  const project = (await call('/api/v2/workspace', { projectName: 'hooks', slug: 'hooks' }, token)).body
    .project;
  return call(
    '/api/v1/webhooks',
    { projectId: project.id, environment: 'dev', webhookUrl: 'http://127.0.0.1:9/hook' },
    token,
  );
}

describe('KMS_ALLOW_PRIVATE_URLS', () => {
  it('start refuses a loopback webhook by default, with the variable to set', async () => {
    const refused = await createLoopbackWebhook({});
    expect(refused.status).toBe(400);
    expect(refused.body.message).toContain('set KMS_ALLOW_PRIVATE_URLS=true to allow it');
  });

  it('start accepts it with KMS_ALLOW_PRIVATE_URLS=true', async () => {
    const created = await createLoopbackWebhook({ KMS_ALLOW_PRIVATE_URLS: 'true' });
    expect(created.status).toBe(200);
    expect(created.body.webhook.lastStatus).toBeNull();
  });
});
