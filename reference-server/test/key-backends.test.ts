// Root-key backends behind the asynchronous KeyManager: `local`, `kms` (for real: a second reference
// server), `vault-transit` (against an emulation of Vault's documented HTTP API, msw) and `aws-kms`
// (against aws-sdk-client-mock); the start-up check, the boot line, the audit key id and rotation
// across backends with the CLI.
import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  DecryptCommand,
  DescribeKeyCommand,
  EncryptCommand,
  GenerateDataKeyCommand,
  KMSClient,
  NotFoundException,
} from '@aws-sdk/client-kms';
import { mockClient } from 'aws-sdk-client-mock';
import { setupServer } from 'msw/node';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  AwsKmsKeyManager,
  HanzoKmsKeyManager,
  keyManagerFromEnv,
  VaultTransitKeyManager,
} from '../src/crypto/backends/index.js';
import { KeyBackendError, LocalKeyManager, RootKeyError } from '../src/crypto/key-manager.js';
import { startServer } from '../src/server.js';
import { runCli, startCli } from './helpers/cli-process.js';
import { type RootKms, startRootKms } from './helpers/test-key-manager.js';
import { startTestServer } from './helpers/test-server.js';
import { VaultTransitEmulation } from './helpers/vault-emulation.js';

const VAULT = 'http://vault.test:8200';
const vault = new VaultTransitEmulation(VAULT, 'vault-token-1');
const msw = setupServer(...vault.handlers());
beforeAll(() => msw.listen({ onUnhandledRequest: 'bypass' }));
afterAll(() => msw.close());
afterEach(() => {
  vault.failNext = 0;
});

/** A backend's round trip: a new data key, unwrapped again, and an existing key re-wrapped. */
async function roundTrip(keys: {
  generateDataKey: LocalKeyManager['generateDataKey'];
  unwrapDataKey: LocalKeyManager['unwrapDataKey'];
  wrapDataKey: LocalKeyManager['wrapDataKey'];
}) {
  const { plaintext, wrapped } = await keys.generateDataKey();
  expect(plaintext).toHaveLength(32);
  expect(await keys.unwrapDataKey(wrapped)).toEqual(plaintext);
  const existing = randomBytes(32);
  expect(await keys.unwrapDataKey(await keys.wrapDataKey(existing))).toEqual(existing);
  return wrapped;
}

describe('local', () => {
  it('names the key by the SHA-256 of the key and refuses a key wrapped by another', async () => {
    const root = randomBytes(32);
    const keys = new LocalKeyManager(root);
    expect(keys.describe()).toEqual({
      backend: 'local',
      keyId: createHash('sha256').update(root).digest('hex'),
    });
    const wrapped = await roundTrip(keys);
    await expect(new LocalKeyManager(randomBytes(32)).unwrapDataKey(wrapped)).rejects.toBeInstanceOf(
      RootKeyError,
    );
  });

  it('is chosen from the environment, and an unknown backend is refused naming the variable', async () => {
    const keys = await keyManagerFromEnv({ ROOT_ENCRYPTION_KEY: randomBytes(32).toString('base64') });
    expect(keys.describe().backend).toBe('local');
    await expect(keyManagerFromEnv({ KMS_KEY_BACKEND: 'hsm' })).rejects.toThrow(
      /KMS_KEY_BACKEND must be one of local, kms, vault-transit, aws-kms, got "hsm"/,
    );
    await expect(keyManagerFromEnv({ KMS_KEY_BACKEND: 'vault-transit' })).rejects.toThrow(
      /KMS_VAULT_ADDR is not set/,
    );
  });
});

describe('vault-transit (emulated)', () => {
  const keys = () => new VaultTransitKeyManager({ address: VAULT, token: vault.token, key: 'kms-root' });

  it('takes data keys from datakey/plaintext and keeps decrypting old key versions after a rotation', async () => {
    vault.createKey('kms-root');
    const manager = keys();
    expect(manager.describe()).toEqual({ backend: 'vault-transit', keyId: 'vault-transit:transit/kms-root' });
    const before = await roundTrip(manager);
    expect(before.wrapped).toMatch(/^vault:v1:/);
    vault.rotate('kms-root');
    const after = await manager.generateDataKey();
    expect(after.wrapped.wrapped).toMatch(/^vault:v2:/);
    expect(await manager.unwrapDataKey(before)).toHaveLength(32);
    expect(vault.requests.some((r) => r.path === '/v1/transit/datakey/plaintext/kms-root')).toBe(true);
  });

  it('retries a transient failure and names the backend, never the token, when it is refused', async () => {
    vault.createKey('kms-root');
    vault.failNext = 2;
    expect((await keys().generateDataKey()).plaintext).toHaveLength(32);
    vault.failNext = 10;
    const down = await keys()
      .generateDataKey()
      .catch((e) => e);
    expect(down).toBeInstanceOf(KeyBackendError);
    expect(down.message).toMatch(
      /key backend vault-transit: generate a data key with vault-transit:transit\/kms-root failed after 4 tries: HTTP 503: Vault is sealed/,
    );
    vault.failNext = 0;
    const refused = await new VaultTransitKeyManager({ address: VAULT, token: 'wrong', key: 'kms-root' })
      .generateDataKey()
      .catch((e) => e);
    expect(refused.message).toMatch(/HTTP 403: permission denied/);
    expect(refused.message).not.toContain('wrong');
  });

  it('serves a whole server: secrets written and read through a Vault-held root key', async () => {
    vault.createKey('kms-root');
    const kms = await startTestServer({ keyManager: keys() });
    try {
      expect(kms.keyBackend).toEqual({ backend: 'vault-transit', keyId: 'vault-transit:transit/kms-root' });
      const p = await kms.createProject('vault-backed');
      await kms.admin('POST', '/api/v3/secrets/raw/TOKEN', {
        workspaceId: p.id,
        environment: 'dev',
        secretPath: '/',
        secretValue: 'v-1',
      });
      const got = await kms.admin(
        'GET',
        `/api/v3/secrets/raw/TOKEN?workspaceId=${p.id}&environment=dev&secretPath=/`,
      );
      expect(got.secret.secretValue).toBe('v-1');
    } finally {
      await kms.close();
    }
  });

  it('stops the start-up of a server whose Vault is unreachable, naming the backend and the key id', async () => {
    vault.createKey('kms-root');
    const dir = mkdtempSync(join(tmpdir(), 'kms-vault-'));
    const first = await startServer({ dataDir: dir, keyManager: keys() });
    await first.close();
    vault.failNext = 100;
    const error = await startServer({ dataDir: dir, keyManager: keys() }).catch((e) => e);
    expect(error).toBeInstanceOf(RootKeyError);
    expect(error.message).toMatch(
      /key backend vault-transit: unwrap with vault-transit:transit\/kms-root failed after 4 tries/,
    );
    expect(error.message).toMatch(/wrapped by root key vault-transit:transit\/kms-root/);
  });
});

describe('aws-kms (aws-sdk-client-mock)', () => {
  const ARN = 'arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab';
  const master = randomBytes(32);
  /** Mocks the four calls with a real AES key, so Decrypt answers what Encrypt sealed. */
  function mockKms() {
    const client = new KMSClient({ region: 'eu-west-1' });
    const mock = mockClient(client);
    const seal = (plaintext: Uint8Array) => {
      const iv = randomBytes(12);
      const c = createCipheriv('aes-256-gcm', master, iv);
      return Buffer.concat([iv, c.update(plaintext), c.final(), c.getAuthTag()]);
    };
    const known = (id: string | undefined) =>
      id === ARN || id === 'alias/kms-root' || id === '1234abcd-12ab-34cd-56ef-1234567890ab';
    mock.on(DescribeKeyCommand).callsFake((input) => {
      if (!known(input.KeyId))
        throw new NotFoundException({ message: `Key '${input.KeyId}' does not exist`, $metadata: {} });
      return { KeyMetadata: { Arn: ARN, KeyId: '1234abcd-12ab-34cd-56ef-1234567890ab' } };
    });
    mock.on(GenerateDataKeyCommand).callsFake((input) => {
      if (!known(input.KeyId) || input.KeySpec !== 'AES_256')
        throw new NotFoundException({ message: 'not found', $metadata: {} });
      const plaintext = randomBytes(32);
      return { Plaintext: plaintext, CiphertextBlob: seal(plaintext), KeyId: ARN };
    });
    mock.on(EncryptCommand).callsFake((input) => ({ CiphertextBlob: seal(input.Plaintext), KeyId: ARN }));
    mock.on(DecryptCommand).callsFake((input) => {
      const raw = Buffer.from(input.CiphertextBlob);
      const d = createDecipheriv('aes-256-gcm', master, raw.subarray(0, 12));
      d.setAuthTag(raw.subarray(raw.length - 16));
      return {
        Plaintext: Buffer.concat([d.update(raw.subarray(12, raw.length - 16)), d.final()]),
        KeyId: ARN,
      };
    });
    return { client, mock };
  }

  it('stores the resolved key ARN even when an alias is configured; round-trips data keys', async () => {
    const { client } = mockKms();
    const manager = new AwsKmsKeyManager({ region: 'eu-west-1', keyId: 'alias/kms-root', client });
    expect(await manager.resolve()).toEqual({ backend: 'aws-kms', keyId: ARN });
    const wrapped = await roundTrip(manager);
    expect(wrapped.keyId).toBe(ARN);
  });

  it('retries throttling, and names the backend on a refusal', async () => {
    const { client, mock } = mockKms();
    const throttled = Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' });
    mock
      .on(GenerateDataKeyCommand)
      .rejectsOnce(throttled)
      .resolves({ Plaintext: randomBytes(32), CiphertextBlob: randomBytes(60), KeyId: ARN });
    const manager = new AwsKmsKeyManager({ region: 'eu-west-1', keyId: ARN, client });
    await manager.resolve();
    expect((await manager.generateDataKey()).plaintext).toHaveLength(32);
    const missing = await new AwsKmsKeyManager({ region: 'eu-west-1', keyId: 'alias/nope', client })
      .resolve()
      .catch((e) => e);
    expect(missing).toBeInstanceOf(KeyBackendError);
    expect(missing.message).toMatch(
      /key backend aws-kms: resolve the key with alias\/nope failed: NotFoundException/,
    );
  });
});

describe('kms: the root key in another Hanzo KMS (for real)', () => {
  let root: RootKms;
  beforeAll(async () => {
    root = await startRootKms();
  });
  afterAll(() => root?.server.close());

  const manager = () =>
    new HanzoKmsKeyManager({
      url: root.url,
      keyId: root.keyId,
      clientId: root.clientId,
      clientSecret: root.clientSecret,
    });

  it('wraps through the other KMS, which audits each use; the key id names its host and key', async () => {
    const keys = manager();
    expect(keys.describe()).toEqual({ backend: 'kms', keyId: `kms:${new URL(root.url).host}/${root.keyId}` });
    await roundTrip(keys);
    const logs = await fetch(`${root.url}/api/v1/audit-logs?eventType=cmek-encrypt,cmek-decrypt&limit=100`, {
      headers: { authorization: `Bearer ${root.adminToken}` },
    }).then((r) => r.json() as Promise<{ auditLogs: unknown[] }>);
    expect(logs.auditLogs.length).toBeGreaterThanOrEqual(4);
    await keys.close();
  });

  it('a server on it keeps its data across a restart; an unreachable root KMS stops the start with the backend named', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kms-on-kms-'));
    const a = await startServer({ dataDir: dir, keyManager: manager() });
    expect(a.keyBackend.backend).toBe('kms');
    await a.close();
    const b = await startServer({ dataDir: dir, keyManager: manager() });
    await b.close();
    const other = await startRootKms();
    await other.server.close();
    const unreachable = new HanzoKmsKeyManager({
      url: other.url,
      keyId: root.keyId,
      clientId: 'x',
      clientSecret: 'y',
      deadlineMs: 1500,
    });
    const error = await startServer({ dataDir: dir, keyManager: unreachable }).catch((e) => e);
    expect(error).toBeInstanceOf(RootKeyError);
    expect(error.message).toMatch(/root key does not open this store \(backend kms\)|key backend kms/);
  });
});

describe('boot line, audit key id and rotation across backends (CLI)', () => {
  let root: RootKms;
  beforeAll(async () => {
    root = await startRootKms();
  });
  afterAll(() => root?.server.close());

  it('local → kms → local: every step re-wraps in one command, secrets stay readable, the trail shows the key ids', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kms-rotate-backends-'));
    const localKey = randomBytes(32).toString('base64');
    const localEnv = { ROOT_ENCRYPTION_KEY: localKey };
    const kmsEnv = {
      KMS_KEY_BACKEND: 'kms',
      KMS_ROOT_KMS_URL: root.url,
      KMS_ROOT_KMS_KEY_ID: root.keyId,
      KMS_ROOT_KMS_CLIENT_ID: root.clientId,
      KMS_ROOT_KMS_CLIENT_SECRET: root.clientSecret,
    };
    const prefixed = (vars: Record<string, string>) =>
      Object.fromEntries(Object.entries(vars).map(([k, v]) => [`NEW_${k}`, v]));

    /** Starts `dev` on the data folder with `env`, reads the demo secrets, stops it. */
    async function devRead(env: Record<string, string>) {
      const dev = startCli(['dev', '--port', '0', '--data-dir', dir], env);
      try {
        const [, backend] = await dev.waitFor(/key backend ready \(backend (\S+), keyId (\S+)\)/);
        const [, url] = await dev.waitFor(/KMS_SITE_URL=(\S+)/);
        const [, id] = await dev.waitFor(/KMS_CLIENT_ID=(\S+)/);
        const [, secret] = await dev.waitFor(/KMS_CLIENT_SECRET=(\S+)/);
        const login = await fetch(`${url}/api/v1/auth/universal-auth/login`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ clientId: id, clientSecret: secret }),
        }).then((r) => r.json() as Promise<{ accessToken: string }>);
        const list = await fetch(
          `${url}/api/v3/secrets/raw?workspaceSlug=demo&environment=dev&secretPath=/app`,
          {
            headers: { authorization: `Bearer ${login.accessToken}` },
          },
        ).then((r) => r.json() as Promise<{ secrets: unknown[] }>);
        return { backend, count: list.secrets.length as number, output: dev.output() };
      } finally {
        dev.child.kill('SIGTERM');
        await dev.exited;
      }
    }

    const first = await devRead(localEnv);
    expect(first).toMatchObject({ backend: 'local', count: 6 });

    const toKms = await runCli(['rotate-root-key', '--data-dir', dir, '--to', 'kms'], {
      ...localEnv,
      ...prefixed(kmsEnv),
    });
    expect(toKms.output).toMatch(/re-wrapped \d+ keys from local \S+ to kms kms:/);
    expect(toKms.code).toBe(0);
    const again = await runCli(['rotate-root-key', '--data-dir', dir, '--to', 'kms'], {
      ...kmsEnv,
      ...prefixed(kmsEnv),
    });
    expect(again.output).toMatch(/nothing to re-wrap/);
    expect(again.code).toBe(0);
    const second = await devRead(kmsEnv);
    expect(second).toMatchObject({ backend: 'kms', count: 6 });
    // A local key no longer opens the store: one clear line, exit 1.
    const refused = await runCli(['start', '--port', '0', '--data-dir', dir], localEnv);
    expect(refused.code).toBe(1);
    expect(refused.output).toMatch(/root key does not open this store \(backend local\)/);

    const back = await runCli(['rotate-root-key', '--data-dir', dir, '--to', 'local'], {
      ...kmsEnv,
      NEW_ROOT_ENCRYPTION_KEY: localKey,
    });
    expect(back.code).toBe(0);
    expect((await devRead(localEnv)).count).toBe(6);

    const verified = await runCli(['audit', 'verify', '--data-dir', dir], localEnv);
    expect(verified.output).toMatch(/audit chain ok/);
    // The trail names each root key (never the key itself).
    const { default: Database } = await import('better-sqlite3');
    const db = new Database(join(dir, 'kms.db'), { readonly: true });
    const rotations = db
      .prepare("SELECT event_metadata FROM audit_logs WHERE event_type = 'rotate-root-key' ORDER BY seq")
      .all() as { event_metadata: string }[];
    const writes = db
      .prepare("SELECT event_metadata FROM audit_logs WHERE event_type = 'create-secrets' LIMIT 1")
      .all() as { event_metadata: string }[];
    db.close();
    expect(rotations.map((r) => JSON.parse(r.event_metadata).toBackend)).toEqual(['kms', 'kms', 'local']);
    expect(JSON.parse(rotations[0]!.event_metadata).rootKeyId).toMatch(/^kms:/);
    expect(JSON.parse(writes[0]!.event_metadata).rootKeyId).toBe(
      createHash('sha256').update(Buffer.from(localKey, 'base64')).digest('hex'),
    );
    expect(JSON.stringify(rotations)).not.toContain(localKey);
  }, 60_000);

  it('start prints the key backend line and warns that a local root key lives in the environment', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kms-boot-line-'));
    const p = startCli(['start', '--port', '0', '--data-dir', dir], {
      ROOT_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
    });
    try {
      await p.waitFor(/listening/);
      expect(p.output()).toMatch(/key backend ready \(backend local, keyId [0-9a-f]{64}\)/);
      expect(p.output()).toMatch(/warning: the root key lives in the process environment/);
    } finally {
      p.child.kill('SIGTERM');
      await p.exited;
    }
    const unknown = await runCli(['start', '--port', '0', '--data-dir', dir], { KMS_KEY_BACKEND: 'hsm' });
    expect(unknown.code).toBe(1);
    expect(unknown.output).toMatch(/KMS_KEY_BACKEND must be one of/);
  });
});
