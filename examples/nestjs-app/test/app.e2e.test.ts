import 'reflect-metadata';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { promisify } from 'node:util';
import { KmsBootError, KmsService } from '@hanzo/kms-nestjs';
import { type KmsTestServer, startKmsTestServer } from '@hanzo/kms-testing';
import type { INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { AppModule } from '../src/app.module.js';

const DATABASE_URL = 'postgres://app:pw-1234567@db-1.internal:5432/shop';
const API_KEY = 'api-key-first-123';

let kms: KmsTestServer;
const saved = { ...process.env };

beforeAll(async () => {
  kms = await startKmsTestServer({
    secrets: {
      dev: {
        '/app': { DATABASE_URL, API_KEY },
        '/billing': { STRIPE_KEY: 'sk_test_51abc', PAYMENT_RETRIES: '5' },
      },
    },
  });
});
afterAll(async () => {
  await kms?.close();
});

// The app reads its KMS settings from the environment, as it would in production.
beforeEach(() => {
  Object.assign(process.env, {
    KMS_SITE_URL: kms.url,
    KMS_CLIENT_ID: kms.clientId,
    KMS_CLIENT_SECRET: kms.clientSecret,
    KMS_PROJECT_SLUG: kms.projectSlug,
    KMS_ENVIRONMENT: 'dev',
  });
});
afterEach(() => {
  for (const key of Object.keys(process.env)) if (!(key in saved)) delete process.env[key];
  Object.assign(process.env, saved);
});

async function startApp(): Promise<{ app: INestApplication; url: string }> {
  const moduleRef = await Test.createTestingModule({ imports: [AppModule] }).compile();
  const app = moduleRef.createNestApplication({ logger: false });
  await app.init();
  await app.listen(0, '127.0.0.1');
  const { port } = app.getHttpServer().address() as AddressInfo;
  return { app, url: `http://127.0.0.1:${port}` };
}

async function revocations(): Promise<number> {
  const { auditLogs } = await kms.api<{ auditLogs: unknown[] }>(
    'GET',
    '/api/v1/audit-logs?eventType=revoke-identity-access-token&limit=100',
  );
  return auditLogs.length;
}

describe('example Nest app', () => {
  let app: INestApplication;
  let url: string;

  beforeAll(async () => {
    Object.assign(process.env, {
      KMS_SITE_URL: kms.url,
      KMS_CLIENT_ID: kms.clientId,
      KMS_CLIENT_SECRET: kms.clientSecret,
      KMS_PROJECT_SLUG: kms.projectSlug,
      KMS_ENVIRONMENT: 'dev',
    });
    ({ app, url } = await startApp());
  });
  afterAll(async () => {
    await app?.close();
  });

  it('serves values from KMS: database URL (KmsModule.forRoot) and billing (kmsConfig + ConfigService)', async () => {
    const db = await (await fetch(`${url}/db`)).json();
    expect(db).toEqual({ host: 'db-1.internal:5432', database: 'shop', user: 'app', connections: 1 });
    expect(JSON.stringify(db)).not.toContain('pw-1234567');

    expect((await fetch(`${url}/private`, { headers: { 'x-api-key': API_KEY } })).status).toBe(200);
    expect((await fetch(`${url}/private`, { headers: { 'x-api-key': 'nope' } })).status).toBe(401);

    expect(await (await fetch(`${url}/billing`)).json()).toEqual({ mode: 'test', retries: 5 });

    const health = await (await fetch(`${url}/health`)).json();
    expect(health).toMatchObject({ status: 'up', secrets: 2, environment: 'dev', secretPath: '/app' });
  });

  it('picks up rotated secrets on refresh()', async () => {
    const NEW_KEY = 'api-key-second-456';
    await kms.setSecret('dev', '/app', 'API_KEY', NEW_KEY);
    await kms.setSecret('dev', '/app', 'DATABASE_URL', 'postgres://app:pw-7654321@db-2.internal:5432/shop');
    // Not yet: the app holds what it loaded.
    expect((await fetch(`${url}/private`, { headers: { 'x-api-key': API_KEY } })).status).toBe(200);

    const refreshed = await fetch(`${url}/admin/refresh`, {
      method: 'POST',
      headers: { 'x-api-key': API_KEY },
    });
    expect(await refreshed.json()).toEqual({ changed: ['API_KEY', 'DATABASE_URL'] });

    expect((await fetch(`${url}/private`, { headers: { 'x-api-key': API_KEY } })).status).toBe(401);
    expect((await fetch(`${url}/private`, { headers: { 'x-api-key': NEW_KEY } })).status).toBe(200);
    expect(await (await fetch(`${url}/db`)).json()).toMatchObject({
      host: 'db-2.internal:5432',
      connections: 2,
    });
  });

  it('shutdown revokes the session token (audit log: revoke-identity-access-token)', async () => {
    const service = app.get(KmsService);
    const before = await revocations();
    await app.close();
    expect(await revocations()).toBe(before + 1);
    expect(service.status().closed).toBe(true);
    await expect(fetch(`${url}/db`)).rejects.toThrow();
  });
});

describe('failed boots', () => {
  it('bad credentials fail the bootstrap with one clear line', async () => {
    process.env.KMS_CLIENT_SECRET = 'definitely-wrong-secret';
    const error = await startApp().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(KmsBootError);
    expect((error as KmsBootError).reason).toBe('bad-credentials');
    // Whichever of the two KMS wirings resolves first reports it, each naming itself.
    expect((error as Error).message).toMatch(
      /^(KmsModule|kmsConfig\(billing\)): login refused: the client id or client secret is wrong, revoked or expired \(KMS_CLIENT_ID \/ KMS_CLIENT_SECRET\)$/,
    );
    expect((error as Error).message).not.toContain('definitely-wrong-secret');
  });

  it('a missing KMS_ENVIRONMENT is named', async () => {
    delete process.env.KMS_ENVIRONMENT;
    await expect(startApp()).rejects.toThrow(/^(KmsModule|kmsConfig\(billing\)): KMS_ENVIRONMENT is not set/);
  });

  it('an invalid secret fails the boot naming the key, not the value', async () => {
    await kms.setSecret('dev', '/app', 'DATABASE_URL', 'mysql://root:hunter2-pw@db/app');
    try {
      const error = await startApp().then(
        () => undefined,
        (e: unknown) => e as Error,
      );
      expect(error?.message).toMatch(
        /^KmsModule: invalid secrets in project .+, environment dev, path \/app: DATABASE_URL/,
      );
      expect(error?.message).not.toContain('hunter2');
    } finally {
      await kms.setSecret('dev', '/app', 'DATABASE_URL', DATABASE_URL);
    }
  });
});

describe('the built app (node dist/main.js)', () => {
  it.skipIf(!existsSync(new URL('../dist/main.js', import.meta.url)))(
    "exits with the boot error's code and one line on stderr, no stack, when the credentials are wrong",
    async () => {
      const main = new URL('../dist/main.js', import.meta.url).pathname;
      const env = { ...process.env, KMS_CLIENT_SECRET: 'wrong-wrong-wrong', PORT: '0' };
      const result = await promisify(execFile)(process.execPath, [main], { env }).then(
        () => ({ code: 0, stderr: '' }),
        (e: { code: number; stderr: string }) => e,
      );
      expect(result.code).toBe(77);
      // KmsBootLogger: Nest's ExceptionHandler prints the boot error as its one line.
      const lines = result.stderr.trim().split('\n');
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(
        /ERROR.*\[ExceptionHandler\].*(KmsModule|kmsConfig\(billing\)): login refused/,
      );
      expect(result.stderr).not.toMatch(/\n\s+at /);
      expect(result.stderr).not.toContain('wrong-wrong-wrong');
    },
  );
});
