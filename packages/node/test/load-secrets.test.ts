// loadSecrets, fetchSecrets and watchSecrets in-process against the reference server over real HTTP,
// and the bounded failures (unreachable, black hole, 429 storm, bad credentials, lockout, forbidden,
// missing folder).
import { createServer, type Server } from 'node:http';
import { startKmsTestServer, type KmsTestServer } from '@hanzo/kms-testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fetchSecrets, KmsBootError, loadSecrets, type SecretsChange, watchSecrets } from '../src/index.ts';
import { BOOT_MARKER } from '../src/load-secrets.ts';
import { blackHole, closedPortUrl, emptyDir } from './helpers.ts';

let kms: KmsTestServer;
const DB = 'postgres://app:pw-4f9a@db.internal/app';

beforeAll(async () => {
  kms = await startKmsTestServer({
    secrets: { dev: { '/app': { DATABASE_URL: DB, API_KEY: 'key-7d1e' }, '/': { ROOT_ONLY: 'root-value' } } },
  });
});
afterAll(() => kms?.close());

function env(extra: Record<string, string | undefined> = {}): Record<string, string | undefined> {
  return {
    KMS_SITE_URL: kms.url,
    KMS_CLIENT_ID: kms.clientId,
    KMS_CLIENT_SECRET: kms.clientSecret,
    KMS_PROJECT_SLUG: kms.projectSlug,
    KMS_ENVIRONMENT: 'dev',
    KMS_SECRET_PATH: '/app',
    KMS_CREDENTIALS_DIR: emptyDir(),
    ...extra,
  };
}

async function bootError(promise: Promise<unknown>): Promise<KmsBootError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(KmsBootError);
    return error as KmsBootError;
  }
  throw new Error('expected a KmsBootError');
}

function expectNoSecrets(text: string, extra: string[] = []) {
  for (const s of [kms.clientSecret, DB, 'key-7d1e', ...extra]) expect(text).not.toContain(s);
}

describe('loadSecrets', () => {
  it('writes the secrets, reports names only and sets the boot marker', async () => {
    const target: Record<string, string | undefined> = { API_KEY: 'local' };
    const report = await loadSecrets({ env: env(), target });
    expect(target.DATABASE_URL).toBe(DB);
    expect(target.API_KEY).toBe('local');
    expect(target[BOOT_MARKER]).toMatch(/^[0-9a-f]{8}$/);
    expect(report).toEqual({
      loaded: ['DATABASE_URL'],
      skipped: ['API_KEY'],
      conflicts: ['API_KEY'],
      project: kms.projectSlug,
      environment: 'dev',
      secretPath: '/app',
      envMerge: 'preserve',
    });
    expectNoSecrets(JSON.stringify(report));
  });

  it('override and error policies', async () => {
    const target: Record<string, string | undefined> = { API_KEY: 'local' };
    await loadSecrets({ env: env({ KMS_ENV_MERGE: 'override' }), target });
    expect(target.API_KEY).toBe('key-7d1e');
    const strict: Record<string, string | undefined> = { API_KEY: 'local' };
    const error = await bootError(loadSecrets({ env: env(), envMerge: 'error', target: strict }));
    expect(error.reason).toBe('env-conflict');
    expect(strict).toEqual({ API_KEY: 'local' });
  });

  it('fetchSecrets returns values that print redacted', async () => {
    const values = await fetchSecrets({ env: env({ KMS_SECRET_PATH: '/', KMS_RECURSIVE: 'true' }) });
    expect(values).toEqual({ ROOT_ONLY: 'root-value', DATABASE_URL: DB, API_KEY: 'key-7d1e' });
    const { inspect } = await import('node:util');
    expectNoSecrets(inspect(values), ['root-value']);
  });

  it('wrong credentials: bad-credentials, no secret in the message', async () => {
    const error = await bootError(
      loadSecrets({ env: env({ KMS_CLIENT_SECRET: 'wrong-client-secret-1234' }), target: {} }),
    );
    expect(error.reason).toBe('bad-credentials');
    expect(error.exitCode).toBe(77);
    expect(error.message).toMatch(/^login refused: the client id or client secret is wrong/);
    expect(error.message).not.toContain('wrong-client-secret-1234');
  });

  it('a revoked client secret is refused, then the identity locks out after repeated failures', async () => {
    const fresh = await startKmsTestServer({ secrets: { dev: { '/app': { A: '1' } } } });
    try {
      const e = (extra: Record<string, string>) => ({
        ...env(),
        KMS_SITE_URL: fresh.url,
        KMS_CLIENT_ID: fresh.clientId,
        KMS_PROJECT_SLUG: fresh.projectSlug,
        ...extra,
      });
      // Revoke the identity's client secret: the next boot is refused (failure 1 of 3).
      const base = `/api/v1/auth/universal-auth/identities/${fresh.identityId}/client-secrets`;
      const { clientSecretData } = await fresh.api<{ clientSecretData: { id: string }[] }>('GET', base);
      for (const { id } of clientSecretData) await fresh.api('POST', `${base}/${id}/revoke`);
      const revoked = await bootError(
        loadSecrets({ env: e({ KMS_CLIENT_SECRET: fresh.clientSecret }), target: {} }),
      );
      expect(revoked.reason).toBe('bad-credentials');
      expect(revoked.message).not.toContain(fresh.clientSecret);
      // Two more failures reach the lockout threshold (3): even a valid secret is then refused as locked.
      for (let i = 0; i < 2; i++) {
        const error = await bootError(
          loadSecrets({ env: e({ KMS_CLIENT_SECRET: `bad-${i}-xxxxxxxx` }), target: {} }),
        );
        expect(error.reason).toBe('bad-credentials');
      }
      const valid = await fresh.newClientSecret();
      const locked = await bootError(loadSecrets({ env: e({ KMS_CLIENT_SECRET: valid }), target: {} }));
      expect(locked.reason).toBe('locked-out');
      expect(locked.exitCode).toBe(77);
      expect(locked.message).not.toContain(valid);
    } finally {
      await fresh.close();
    }
  });

  it('missing folder and forbidden project', async () => {
    const missing = await bootError(loadSecrets({ env: env({ KMS_SECRET_PATH: '/nope' }), target: {} }));
    expect(missing.reason).toBe('not-found');
    expect(missing.exitCode).toBe(66);
    expect(missing.message).toBe(
      `folder /nope does not exist in project ${kms.projectSlug}, environment dev`,
    );
    // A project the identity is not a member of.
    {
      const { project } = await kms.api<{ project: { id: string } }>('POST', '/api/v2/workspace', {
        projectName: 'Other',
        slug: 'other-project',
        type: 'secret-manager',
      });
      const forbidden = await bootError(
        loadSecrets({ env: env({ KMS_PROJECT_SLUG: undefined, KMS_PROJECT_ID: project.id }), target: {} }),
      );
      expect(forbidden.reason).toBe('forbidden');
      expect(forbidden.exitCode).toBe(77);
      expect(forbidden.message).toBe(
        `the identity is not allowed to read project ${project.id}, environment dev, path /app`,
      );
    }
  });

  it('unreachable server: fails fast with the URL named', async () => {
    const url = await closedPortUrl();
    const target: Record<string, string | undefined> = {};
    const began = Date.now();
    const error = await bootError(loadSecrets({ env: env({ KMS_SITE_URL: url }), target }));
    expect(error.reason).toBe('unreachable');
    expect(error.exitCode).toBe(69);
    expect(error.message).toBe(`KMS server at ${url} is unreachable`);
    expect(Date.now() - began).toBeLessThan(5000);
    expect(target).toEqual({});
  });

  it('black hole server: bounded by the boot timeout', async () => {
    const hole = await blackHole();
    try {
      const began = Date.now();
      const error = await bootError(
        loadSecrets({ env: env({ KMS_SITE_URL: hole.url, KMS_BOOT_TIMEOUT: '800ms' }), target: {} }),
      );
      const elapsed = Date.now() - began;
      expect(error.reason).toBe('timeout');
      expect(error.exitCode).toBe(75);
      expect(error.message).toBe(`KMS server at ${hole.url} did not answer within 800 ms (KMS_BOOT_TIMEOUT)`);
      expect(elapsed).toBeGreaterThanOrEqual(750);
      expect(elapsed).toBeLessThan(2500);
    } finally {
      await hole.close();
    }
  });

  it('429 storm with a long Retry-After: rate-limited within the deadline', async () => {
    let hits = 0;
    const server: Server = createServer((_req, res) => {
      hits++;
      res.writeHead(429, { 'content-type': 'application/json', 'retry-after': '60' });
      res.end(
        JSON.stringify({ statusCode: 429, error: 'TooManyRequests', message: 'slow down', reqId: 'r' }),
      );
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
    try {
      const began = Date.now();
      const error = await bootError(
        loadSecrets({ env: env({ KMS_SITE_URL: url, KMS_BOOT_TIMEOUT: '4' }), target: {} }),
      );
      expect(['rate-limited', 'timeout']).toContain(error.reason);
      expect(error.exitCode).toBe(75);
      expect(Date.now() - began).toBeLessThan(4500);
      expect(hits).toBeGreaterThanOrEqual(2);
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});

describe('what a failure says', () => {
  /** A loopback server that answers every request with `status` and `body`. */
  async function answering(status: number, type: string, body: string) {
    const server: Server = createServer((_req, res) => {
      res.writeHead(status, { 'content-type': type });
      res.end(body);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return {
      url: `http://127.0.0.1:${(server.address() as { port: number }).port}`,
      close: () => new Promise<void>((resolve) => server.close(() => resolve())),
    };
  }

  it('a 429 names the rate limiting and what to change', async () => {
    const limited = await answering(
      429,
      'application/json',
      JSON.stringify({ statusCode: 429, error: 'TooManyRequests', message: 'slow down', reqId: 'r' }),
    );
    try {
      const error = await bootError(
        loadSecrets({ env: env({ KMS_SITE_URL: limited.url, KMS_BOOT_TIMEOUT: '60' }), target: {} }),
      );
      expect(error.reason).toBe('rate-limited');
      expect(error.message).toBe(
        `KMS server at ${limited.url} kept answering 429 Too Many Requests: the server is rate limiting this client: make fewer requests (a longer watch or refresh interval, a cache), or on a server you run raise its limits (the reference server: KMS_RATE_LIMIT=off)`,
      );
    } finally {
      await limited.close();
    }
  });

  it('a plain HTTP server answering 501 is "not a KMS API", not a failing KMS server', async () => {
    const plain = await answering(501, 'text/html', '<h1>Unsupported method</h1>');
    try {
      const error = await bootError(loadSecrets({ env: env({ KMS_SITE_URL: plain.url }), target: {} }));
      expect(error.reason).toBe('config');
      expect(error.message).toBe(
        `KMS_SITE_URL ${plain.url} is not a KMS API: POST /v1/auth/universal-auth/login under it answered 501; check the URL and its path`,
      );
    } finally {
      await plain.close();
    }
  });
});

describe('watchSecrets', () => {
  it('polls with If-None-Match: an unchanged folder is answered 304', async () => {
    // A recording proxy in front of the reference server.
    const seen: { conditional: boolean; status: number }[] = [];
    const proxy = createServer(async (req, res) => {
      const chunks: Buffer[] = [];
      for await (const chunk of req) chunks.push(chunk as Buffer);
      const headers = Object.fromEntries(
        Object.entries(req.headers).filter(([k]) => k !== 'host' && k !== 'content-length') as [
          string,
          string,
        ][],
      );
      const upstream = await fetch(kms.url + req.url, {
        method: req.method,
        headers,
        body: chunks.length ? Buffer.concat(chunks) : undefined,
      });
      if (req.url?.startsWith('/api/v3/secrets/raw')) {
        seen.push({ conditional: req.headers['if-none-match'] !== undefined, status: upstream.status });
      }
      res.writeHead(upstream.status, Object.fromEntries(upstream.headers));
      res.end(Buffer.from(await upstream.arrayBuffer()));
    });
    await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(proxy.address() as { port: number }).port}`;
    const stop = watchSecrets({ env: env({ KMS_SITE_URL: url }), interval: 50, onChange: () => {} });
    try {
      await expect.poll(() => seen.length, { timeout: 5000 }).toBeGreaterThanOrEqual(4);
    } finally {
      await stop();
      await new Promise<void>((resolve) => proxy.close(() => resolve()));
    }
    expect(seen[0]).toEqual({ conditional: false, status: 200 });
    expect(seen.slice(1).every((s) => s.conditional && s.status === 304)).toBe(true);
  });

  it('polls with ETag and reports changed keys; the env follows only where KMS put the value', async () => {
    const target: Record<string, string | undefined> = { DATABASE_URL: DB, API_KEY: 'set-by-operator' };
    const changes: SecretsChange[] = [];
    const stop = watchSecrets({
      env: env(),
      interval: 100,
      initial: { DATABASE_URL: DB, API_KEY: 'key-7d1e' },
      writeEnv: target,
      onChange: (change) => {
        changes.push(change);
      },
    });
    try {
      await new Promise((r) => setTimeout(r, 300));
      expect(changes).toHaveLength(0);
      await kms.setSecret('dev', '/app', 'DATABASE_URL', 'postgres://rotated');
      await kms.setSecret('dev', '/app', 'API_KEY', 'key-rotated');
      await kms.setSecret('dev', '/app', 'NEW_ONE', 'n');
      await expect
        .poll(() => changes.flatMap((c) => c.keys), { timeout: 5000 })
        .toEqual(expect.arrayContaining(['API_KEY', 'DATABASE_URL', 'NEW_ONE']));
      const last = changes.at(-1)!;
      expect(last.secrets.DATABASE_URL).toBe('postgres://rotated');
      expect(target.DATABASE_URL).toBe('postgres://rotated');
      expect(target.API_KEY).toBe('set-by-operator');
      expect(target.NEW_ONE).toBe('n');
    } finally {
      await stop();
      await kms.setSecret('dev', '/app', 'DATABASE_URL', DB);
      await kms.setSecret('dev', '/app', 'API_KEY', 'key-7d1e');
      await kms.deleteSecret('dev', '/app', 'NEW_ONE');
    }
  });
});
