// Sessions and the change-notice stream against the reference server over real HTTP: with
// refreshInterval set a session subscribes by default and sees a change long before its interval;
// while the stream is refused it polls; push: false never subscribes; the runtime-neutral entry
// (`@hanzo/kms-node/env`) subscribes through the runtime's streaming fetch.
import { startKmsTestServer, type KmsTestServer } from '@hanzo/kms-testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSecretsSession as createNeutralSession } from '../src/env-entry.ts';
import { createSecretsSession, type SecretsChange } from '../src/index.ts';
import { emptyDir } from './helpers.ts';

let kms: KmsTestServer;

beforeAll(async () => {
  kms = await startKmsTestServer({
    secrets: { dev: { '/push': { TOKEN: 'one' } } },
    server: { settings: { changeStream: { heartbeatMs: 1000 } } },
  });
});
afterAll(() => kms?.close());

function connection(extra: Record<string, unknown> = {}) {
  return {
    siteUrl: kms.url,
    clientId: kms.clientId,
    clientSecret: kms.clientSecret,
    projectSlug: kms.projectSlug,
    environment: 'dev',
    secretPath: '/push',
    credentialsDir: emptyDir(),
    env: {},
    ...extra,
  };
}

async function until(check: () => boolean, what: string, ms = 10_000) {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('sessions subscribe to change notices', () => {
  it('sees a change at once, long before a one-hour interval, and polls no more while connected', async () => {
    const changes: SecretsChange[] = [];
    const session = createSecretsSession(
      connection({ refreshInterval: 3_600_000, onChange: (c: SecretsChange) => void changes.push(c) }),
    );
    try {
      await session.load();
      session.start();
      await until(() => session.status().push === 'connected', 'the stream');
      await kms.setSecret('dev', '/push', 'TOKEN', 'two');
      await until(() => changes.length > 0, 'onChange');
      expect(changes[0]).toMatchObject({ changed: ['TOKEN'] });
      expect(session.secrets.TOKEN).toBe('two');
      await kms.setSecret('dev', '/push', 'TOKEN', 'three');
      await until(() => session.secrets.TOKEN === 'three', 'the second change');
    } finally {
      await session.close();
    }
    expect(session.status().push).toBe('off');
  });

  it('polls on its interval while the stream is refused, and never subscribes with push: false', async () => {
    const limited = await startKmsTestServer({
      secrets: { dev: { '/push': { TOKEN: 'one' } } },
      // One stream in total: the first session holds it, the second is refused and polls.
      server: { settings: { changeStream: { maxTotal: 1 } } },
    });
    const connect = (extra: Record<string, unknown>) =>
      createSecretsSession({
        ...connection(extra),
        siteUrl: limited.url,
        clientId: limited.clientId,
        clientSecret: limited.clientSecret,
        projectSlug: limited.projectSlug,
      });
    const holder = connect({ refreshInterval: 3_600_000 });
    const poller = connect({ refreshInterval: 200 });
    const off = connect({ refreshInterval: 3_600_000, push: false });
    try {
      await Promise.all([holder.load(), poller.load(), off.load()]);
      holder.start();
      await until(() => holder.status().push === 'connected', 'the holder stream');
      poller.start();
      off.start();
      await until(() => poller.status().push === 'disconnected', 'the refused stream');
      await limited.setSecret('dev', '/push', 'TOKEN', 'polled');
      await until(() => poller.secrets.TOKEN === 'polled', 'the poll');
      expect(off.status().push).toBe('off');
    } finally {
      await Promise.all([holder.close(), poller.close(), off.close()]);
      await limited.close();
    }
  });

  it('works from the runtime-neutral entry through the streaming fetch', async () => {
    const changes: SecretsChange[] = [];
    const session = createNeutralSession({
      siteUrl: kms.url,
      clientId: kms.clientId,
      clientSecret: kms.clientSecret,
      projectSlug: kms.projectSlug,
      environment: 'dev',
      secretPath: '/push',
      refreshInterval: 3_600_000,
      onChange: (c) => void changes.push(c),
    });
    try {
      await session.load();
      session.start();
      await until(() => session.status().push === 'connected', 'the stream');
      await kms.setSecret('dev', '/push', 'NEUTRAL', 'yes');
      await until(() => changes.length > 0, 'onChange');
      expect(changes[0]).toMatchObject({ added: ['NEUTRAL'] });
    } finally {
      await session.close();
    }
  });
});
