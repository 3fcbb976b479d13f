// Used by nest11-check.sh: forRoot, refresh, revoke on close, forRootAsync(useClass), bad credentials
// and kmsConfig() with @nestjs/config 4, on Nest 11 through the CommonJS build.
require('reflect-metadata');
const assert = require('node:assert/strict');
const { Injectable, Inject } = require('@nestjs/common');
const { Test } = require('@nestjs/testing');
const { ConfigModule, ConfigService } = require('@nestjs/config');
const { KmsModule, KmsService, KmsClient } = require('@hanzo/kms-nestjs');
const { kmsConfig } = require('@hanzo/kms-nestjs/config');

(async () => {
  const { startKmsTestServer } = await import('@hanzo/kms-testing');
  const kms = await startKmsTestServer({ secrets: { dev: { '/app': { A: 'one', B: 'two' } } } });
  const options = {
    siteUrl: kms.url,
    clientId: kms.clientId,
    clientSecret: kms.clientSecret,
    projectSlug: kms.projectSlug,
    environment: 'dev',
    secretPath: '/app',
    env: {},
  };
  class Consumer {
    constructor(kmsService, client) {
      this.kms = kmsService;
      this.client = client;
    }
  }
  Inject(KmsService)(Consumer, undefined, 0);
  Inject(KmsClient)(Consumer, undefined, 1);
  Injectable()(Consumer);
  const revokes = async () =>
    (await kms.api('GET', '/api/v1/audit-logs?eventType=revoke-identity-access-token&limit=100')).auditLogs
      .length;

  const ref = await Test.createTestingModule({
    imports: [KmsModule.forRoot(options)],
    providers: [Consumer],
  }).compile();
  await ref.init();
  const c = ref.get(Consumer);
  assert.equal(c.kms.get('A'), 'one');
  assert.equal(c.client, c.kms.client);
  await kms.setSecret('dev', '/app', 'A', 'uno');
  assert.deepEqual((await c.kms.refresh()).changed, ['A']);
  const before = await revokes();
  await ref.close();
  assert.equal(await revokes(), before + 1);

  class Opts {
    createKmsOptions() {
      return options;
    }
  }
  Injectable()(Opts);
  const ref2 = await Test.createTestingModule({
    imports: [KmsModule.forRootAsync({ useClass: Opts })],
  }).compile();
  assert.equal(ref2.get(KmsService).get('B'), 'two');
  await ref2.close();

  const err = await Test.createTestingModule({
    imports: [KmsModule.forRoot({ ...options, clientSecret: 'bad-bad' })],
  })
    .compile()
    .then(
      () => undefined,
      (e) => e,
    );
  assert.match(err.message, /^KmsModule: login refused/);

  const cfg = kmsConfig({ ...options, namespace: 'app' });
  const ref3 = await Test.createTestingModule({
    imports: [ConfigModule.forRoot({ ignoreEnvFile: true, load: [cfg] })],
  }).compile();
  assert.equal(ref3.get(ConfigService).get('app.B'), 'two');
  await ref3.close();
  await kms.close();
  console.log(
    'nest',
    require('@nestjs/core/package.json').version,
    'config',
    require('@nestjs/config/package.json').version,
    'OK',
  );
})().catch((e) => {
  console.error(e);
  process.exit(1);
});
