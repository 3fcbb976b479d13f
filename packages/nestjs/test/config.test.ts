import 'reflect-metadata';
import { type KmsTestServer, startKmsTestServer } from '@hanzo/kms-testing';
import { Inject, Injectable, Module } from '@nestjs/common';
import { ConfigModule, ConfigService, type ConfigType } from '@nestjs/config';
import { Test } from '@nestjs/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as z from 'zod';
import { kmsConfig } from '../src/config.js';

let kms: KmsTestServer;
let base: { siteUrl: string; clientId: string; clientSecret: string; projectSlug: string; env: {} };

beforeAll(async () => {
  kms = await startKmsTestServer({
    secrets: { dev: { '/billing': { STRIPE_KEY: 'sk_test_abcdef', RETRIES: '3' } } },
  });
  base = {
    siteUrl: kms.url,
    clientId: kms.clientId,
    clientSecret: kms.clientSecret,
    projectSlug: kms.projectSlug,
    env: {},
  };
});
afterAll(async () => {
  await kms?.close();
});

describe('kmsConfig', () => {
  it('loads a validated namespace into ConfigService and revokes its token', async () => {
    const schema = z.object({ STRIPE_KEY: z.string().startsWith('sk_'), RETRIES: z.coerce.number().int() });
    const billing = kmsConfig({
      ...base,
      namespace: 'billing',
      environment: 'dev',
      secretPath: '/billing',
      schema,
    });

    @Injectable()
    class BillingService {
      constructor(
        @Inject(ConfigService) readonly config: ConfigService,
        @Inject(billing.KEY) readonly typed: ConfigType<typeof billing>,
      ) {}
    }
    @Module({
      imports: [ConfigModule.forRoot({ ignoreEnvFile: true, load: [billing] })],
      providers: [BillingService],
    })
    class AppModule {}

    const ref = await Test.createTestingModule({ imports: [AppModule] }).compile();
    const service = ref.get(BillingService);
    expect(service.config.get('billing.STRIPE_KEY')).toBe('sk_test_abcdef');
    expect(service.typed.RETRIES).toBe(3);
    await ref.close();
    // fetchSecrets closes its client right after the read: the token is revoked without any shutdown.
    await expect
      .poll(async () => {
        const { auditLogs } = await kms.api<{ auditLogs: unknown[] }>(
          'GET',
          '/api/v1/audit-logs?eventType=revoke-identity-access-token',
        );
        return auditLogs.length;
      })
      .toBeGreaterThan(0);
  });

  it('bad options throw at once, naming the option', () => {
    expect(() => kmsConfig({ ...base, environment: 'dev', secretPath: 'billing' })).toThrow(
      'KmsModule option secretPath must start with /',
    );
    expect(() => kmsConfig({ ...base, namespace: 'a.b' })).toThrow(/namespace/);
  });

  it('a failed load fails the bootstrap with one line naming the namespace', async () => {
    const billing = kmsConfig({
      ...base,
      clientSecret: 'nope-wrong',
      namespace: 'billing',
      environment: 'dev',
    });
    const error = await Test.createTestingModule({
      imports: [ConfigModule.forRoot({ ignoreEnvFile: true, load: [billing] })],
    })
      .compile()
      .then(
        () => undefined,
        (e: unknown) => e as Error,
      );
    expect(error?.message).toMatch(/^kmsConfig\(billing\): login refused/);
    expect(error?.message).not.toContain('nope-wrong');
  });

  it('schema failures name keys only', async () => {
    const billing = kmsConfig({
      ...base,
      environment: 'dev',
      secretPath: '/billing',
      schema: z.object({ STRIPE_KEY: z.string().startsWith('pk_') }),
    });
    await expect(
      Test.createTestingModule({
        imports: [ConfigModule.forRoot({ ignoreEnvFile: true, load: [billing] })],
      }).compile(),
    ).rejects.toThrow(/^kmsConfig\(kms\): invalid secrets in .*: STRIPE_KEY \(/);
  });
});
