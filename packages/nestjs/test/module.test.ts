import 'reflect-metadata';
import { inspect } from 'node:util';
import { KmsClient } from '@hanzo/kms';
import { type KmsTestServer, startKmsTestServer } from '@hanzo/kms-testing';
import { Inject, Injectable, Module } from '@nestjs/common';
import { Test, type TestingModule } from '@nestjs/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as z from 'zod';
import {
  KMS_MODULE_OPTIONS,
  KmsBootError,
  KmsHealthIndicator,
  KmsModule,
  type KmsModuleOptions,
  type KmsOptionsFactory,
  KmsService,
  type SecretsChange,
} from '../src/index.js';

let kms: KmsTestServer;
let options: KmsModuleOptions;

beforeAll(async () => {
  kms = await startKmsTestServer({
    secrets: {
      dev: { '/api': { DATABASE_URL: 'postgres://db.internal/app', API_KEY: 'key-one-1234', PORT: '8080' } },
    },
  });
  options = {
    siteUrl: kms.url,
    clientId: kms.clientId,
    clientSecret: kms.clientSecret,
    projectSlug: kms.projectSlug,
    environment: 'dev',
    secretPath: '/api',
    env: {},
  };
});
afterAll(async () => {
  await kms?.close();
});

async function revocations(): Promise<number> {
  const { auditLogs } = await kms.api<{ auditLogs: unknown[] }>(
    'GET',
    '/api/v1/audit-logs?eventType=revoke-identity-access-token&limit=100',
  );
  return auditLogs.length;
}

@Injectable()
class Consumer {
  constructor(
    @Inject(KmsService) readonly kms: KmsService,
    @Inject(KmsClient) readonly client: KmsClient,
  ) {}
}

@Module({ providers: [Consumer], exports: [Consumer] })
class FeatureModule {}

describe('KmsModule.forRoot', () => {
  let moduleRef: TestingModule;
  afterAll(async () => {
    await moduleRef?.close();
  });

  it('loads the secrets before any consumer is built; global by default', async () => {
    moduleRef = await Test.createTestingModule({
      imports: [KmsModule.forRoot(options), FeatureModule],
    }).compile();
    await moduleRef.init();
    const consumer = moduleRef.get(Consumer);
    expect(consumer.kms.get('DATABASE_URL')).toBe('postgres://db.internal/app');
    expect(consumer.kms.getOrThrow('API_KEY')).toBe('key-one-1234');
    expect(consumer.kms.get('MISSING')).toBeUndefined();
    expect(() => consumer.kms.getOrThrow('MISSING')).toThrow(
      /^KmsModule: secret MISSING is not set in project .+, environment dev, path \/api$/,
    );
    expect(consumer.kms.keys()).toEqual(['API_KEY', 'DATABASE_URL', 'PORT']);
    expect(consumer.client).toBe(consumer.kms.client);
    expect(consumer.client).toBeInstanceOf(KmsClient);
  });

  it('prints no value or credential', () => {
    const service = moduleRef.get(KmsService);
    const printed = [
      inspect(service, { depth: 6 }),
      JSON.stringify(service),
      inspect(service.list()),
      inspect(moduleRef.get(KMS_MODULE_OPTIONS), { depth: 6 }),
      JSON.stringify(moduleRef.get(KMS_MODULE_OPTIONS)),
    ].join('\n');
    for (const secret of ['postgres://db.internal/app', 'key-one-1234', kms.clientSecret]) {
      expect(printed).not.toContain(secret);
    }
    expect(printed).toContain('DATABASE_URL');
  });

  it('refresh() picks up a rotated secret and emits the change', async () => {
    const service = moduleRef.get(KmsService);
    const seen: SecretsChange[] = [];
    const sub = service.changes$.subscribe((c) => seen.push(c));
    expect(await service.refresh()).toBeUndefined();
    await kms.setSecret('dev', '/api', 'API_KEY', 'key-two-5678');
    const change = await service.refresh();
    sub.unsubscribe();
    expect(change?.changed).toEqual(['API_KEY']);
    expect(seen).toHaveLength(1);
    expect(service.get('API_KEY')).toBe('key-two-5678');
    await kms.setSecret('dev', '/api', 'API_KEY', 'key-one-1234');
    await service.refresh();
  });

  it('health indicator reports freshness without values', async () => {
    const ref = await Test.createTestingModule({
      imports: [KmsModule.forRoot(options)],
      providers: [KmsHealthIndicator],
    }).compile();
    await ref.init();
    const result = ref.get(KmsHealthIndicator).isHealthy('kms');
    expect(result.kms.status).toBe('up');
    expect(result.kms.secrets).toBe(3);
    expect(ref.get(KmsHealthIndicator).isHealthy('kms', { maxAgeMs: -1 }).kms.status).toBe('down');
    expect(JSON.stringify(result)).not.toContain('key-one');
    await ref.close();
    expect(ref.get(KmsHealthIndicator).isHealthy().kms.status).toBe('down');
  });

  it('close() ends the session: the token is revoked (audit log)', async () => {
    const before = await revocations();
    await moduleRef.close();
    expect(await revocations()).toBe(before + 1);
    await expect(moduleRef.get(KmsService).refresh()).rejects.toThrow(/after shutdown/);
  });
});

describe('KmsModule.forRootAsync', () => {
  @Injectable()
  class KmsOptionsService implements KmsOptionsFactory {
    createKmsOptions() {
      return options;
    }
  }
  @Module({ providers: [KmsOptionsService], exports: [KmsOptionsService] })
  class OptionsModule {}

  const TOKEN = Symbol('settings');
  @Module({ providers: [{ provide: TOKEN, useFactory: () => ({ path: '/api' }) }], exports: [TOKEN] })
  class SettingsModule {}

  it.each([
    [
      'useFactory',
      () => ({
        imports: [SettingsModule],
        inject: [TOKEN],
        useFactory: async (s: { path: string }) => ({ ...options, secretPath: s.path }),
      }),
    ],
    ['useClass', () => ({ useClass: KmsOptionsService })],
    ['useExisting', () => ({ imports: [OptionsModule], useExisting: KmsOptionsService })],
  ])('%s', async (_name, build) => {
    const ref = await Test.createTestingModule({
      imports: [KmsModule.forRootAsync(build() as never)],
    }).compile();
    await ref.init();
    expect(ref.get(KmsService).get('PORT')).toBe('8080');
    await ref.close();
  });

  it('validates what the factory returns, naming the option', async () => {
    await expect(
      Test.createTestingModule({
        imports: [KmsModule.forRootAsync({ useFactory: () => ({ ...options, secretPath: 'api' }) })],
      }).compile(),
    ).rejects.toThrow('KmsModule option secretPath must start with /');
  });

  it('isGlobal: false keeps the providers local', async () => {
    await expect(
      Test.createTestingModule({
        imports: [KmsModule.forRootAsync({ useFactory: () => options, isGlobal: false }), FeatureModule],
      }).compile(),
    ).rejects.toThrow(/KmsService/);
  });
});

describe('boot failures', () => {
  it('bad credentials fail the bootstrap with one clear line and no secret', async () => {
    const error = await Test.createTestingModule({
      imports: [KmsModule.forRoot({ ...options, clientSecret: 'wrong-secret-value' })],
    })
      .compile()
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect(error).toBeInstanceOf(KmsBootError);
    expect((error as KmsBootError).reason).toBe('bad-credentials');
    expect((error as Error).message).toMatch(
      /^KmsModule: login refused: the client id or client secret is wrong/,
    );
    expect((error as Error).message).not.toContain('wrong-secret-value');
  });

  it('an unreachable server fails within the boot deadline', async () => {
    const started = Date.now();
    await expect(
      Test.createTestingModule({
        imports: [KmsModule.forRoot({ ...options, siteUrl: 'http://127.0.0.1:9', bootTimeout: 1500 })],
      }).compile(),
    ).rejects.toThrow(/^KmsModule: KMS server at http:\/\/127\.0\.0\.1:9 (is unreachable|did not answer)/);
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it('missing configuration names the variable', async () => {
    const { clientId: _c, ...noId } = options;
    await expect(
      Test.createTestingModule({
        imports: [KmsModule.forRoot({ ...noId, credentialsDir: '/nonexistent' })],
      }).compile(),
    ).rejects.toThrow(/^KmsModule: KMS_CLIENT_ID is not set/);
  });

  it('a schema failure names keys, never values', async () => {
    const schema = z.object({
      PORT: z.coerce.number().max(10),
      DATABASE_URL: z.string().startsWith('mysql:'),
    });
    const error = await Test.createTestingModule({ imports: [KmsModule.forRoot({ ...options, schema })] })
      .compile()
      .then(
        () => undefined,
        (e: unknown) => e as Error,
      );
    expect(error?.message).toMatch(
      /^KmsModule: invalid secrets in project .*: DATABASE_URL \(.+\), PORT \(.+\)$/,
    );
    expect(error?.message).not.toContain('postgres://db.internal');
  });
});

describe('schema, polling and process.env', () => {
  it('a schema types and parses values', async () => {
    const schema = z.object({ PORT: z.coerce.number(), DATABASE_URL: z.url() });
    const ref = await Test.createTestingModule({
      imports: [KmsModule.forRoot({ ...options, schema })],
    }).compile();
    const service = ref.get<KmsService<z.output<typeof schema>>>(KmsService);
    const port: number = service.getOrThrow('PORT');
    expect(port).toBe(8080);
    await ref.close();
  });

  it('refreshInterval polls after bootstrap and stops on close', async () => {
    const ref = await Test.createTestingModule({
      imports: [KmsModule.forRoot({ ...options, refreshInterval: 100 })],
    }).compile();
    await ref.init();
    const service = ref.get(KmsService);
    const next = new Promise<SecretsChange>((resolve) => service.changes$.subscribe(resolve));
    await kms.setSecret('dev', '/api', 'PORT', '9090');
    const change = await next;
    expect(change.changed).toEqual(['PORT']);
    expect(service.get('PORT')).toBe('9090');
    let completed = false;
    service.changes$.subscribe({ complete: () => (completed = true) });
    await ref.close();
    expect(completed).toBe(true);
    await kms.setSecret('dev', '/api', 'PORT', '8080');
  });

  it('populateEnv never overwrites an existing variable silently', async () => {
    process.env.DATABASE_URL = 'postgres://already-set';
    delete process.env.API_KEY;
    try {
      const ref = await Test.createTestingModule({
        imports: [KmsModule.forRoot({ ...options, populateEnv: true })],
      }).compile();
      expect(process.env.DATABASE_URL).toBe('postgres://already-set');
      expect(process.env.API_KEY).toBe('key-one-1234');
      await ref.close();
      await expect(
        Test.createTestingModule({
          imports: [KmsModule.forRoot({ ...options, populateEnv: true, envMerge: 'error' })],
        }).compile(),
      ).rejects.toThrow(/DATABASE_URL already set/);
    } finally {
      delete process.env.DATABASE_URL;
      delete process.env.API_KEY;
      delete process.env.PORT;
    }
  });
});
