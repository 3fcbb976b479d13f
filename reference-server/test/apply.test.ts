// `kms-server apply`: declarative provisioning of a fresh `start` server, run as the CLI process.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ApiClient } from '../src/provisioning/api-client.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningServer, startServer } from '../src/server.js';
import { runCli } from './helpers/cli-process.js';

const dir = mkdtempSync(join(tmpdir(), 'kms-apply-'));
let server: RunningServer;

const FILE = `
bootstrap:
  email: ops@example.test
  password: { fromEnv: ADMIN_PASSWORD }
  organization: Acme
projects:
  - slug: shop
    name: Shop
    environments: [dev, staging, prod, { slug: qa, name: Quality }]
    tags:
      - { slug: pci, color: '#d32f2f' }
    folders:
      - { environment: staging, path: /app/db }
    secrets:
      - environment: dev
        path: /app
        values:
          DB_URL: postgres://app@localhost/shop
          STRIPE_KEY: { fromEnv: STRIPE_KEY }
          PAYMENT_MODE: { value: test, comment: never live in dev, tags: [pci] }
      - environment: dev
        path: /shared
        values:
          REGION: eu-west-1
    imports:
      - { environment: dev, path: /app, from: { environment: dev, path: /shared } }
identities:
  - name: shop-api
    universalAuth: { accessTokenTTL: 3600, accessTokenMaxTTL: 86400, accessTokenTrustedIps: [{ ipAddress: 127.0.0.0/8 }] }
    projects:
      - { project: shop, role: viewer }
  - name: shop-ci
    oidcAuth:
      oidcDiscoveryUrl: https://token.actions.githubusercontent.com
      boundIssuer: https://token.actions.githubusercontent.com
      boundAudiences: kms
      boundSubject: repo:acme/shop:ref:refs/heads/main
    projects:
      - { project: shop, role: member }
`;

const ENV = { ADMIN_PASSWORD: 'S3cure-pass!', STRIPE_KEY: 'sk_test_from_env_123' };

function writeFile(name: string, text: string) {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

const apply = (args: string[], env: Record<string, string> = {}) =>
  runCli(['apply', ...args, '--url', server.url], { ...ENV, ...env });

/** The API's own client (src/provisioning/api-client.ts). */
function call(method: string, path: string, token?: string, body?: unknown) {
  return new ApiClient(server.url, token).request<any>(method, path, body);
}

beforeAll(async () => {
  server = await startServer({ rateLimit: false });
});
afterAll(async () => {
  await server?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('kms-server apply', () => {
  let adminToken: string;
  let clientId: string;
  let clientSecret: string;
  const file = () => writeFile('kms.yaml', FILE);

  it('plans a fresh server with --dry-run and changes nothing', async () => {
    const { code, output } = await apply([file(), '--dry-run']);
    expect(code).toBe(0);
    expect(output).toContain('(dry run)');
    expect(output).toContain('+ bootstrap: organization Acme, admin ops@example.test');
    for (const line of [
      '+ project shop',
      '+ environment shop/qa',
      '+ tag shop/pci',
      '+ folder shop/staging:/app',
      '+ folder shop/staging:/app/db',
      '+ folder shop/dev:/app',
      '+ secret shop/dev:/app STRIPE_KEY',
      '+ import shop/dev:/app ← dev:/shared',
      '+ identity shop-api (org role no-access)',
      '+ universal-auth for identity shop-api (and a client secret)',
      '+ oidc-auth for identity shop-ci',
      '+ membership shop-ci → shop (member)',
    ])
      expect(output).toContain(line);
    expect(output).toMatch(/dry run: \d+ changes planned, nothing applied/);
    expect(output).not.toContain('sk_test_from_env_123');
    expect(output).not.toContain('postgres://app@localhost/shop');
    expect((await call('GET', '/api/v1/admin/config')).body.config.initialized).toBe(false);
  });

  it('refuses a placeholder or short bootstrap password before sending anything', async () => {
    for (const [password, problem] of [
      ['…', 'looks like a placeholder from a guide; choose a real password'],
      ['short', 'must be at least 12 characters'],
    ]) {
      const { code, output } = await apply([file()], { ADMIN_PASSWORD: password as string });
      expect(code).toBe(1);
      expect(output).toContain(`  bootstrap.password: ${problem}`);
      expect(output).toContain('nothing was changed');
    }
    expect((await call('GET', '/api/v1/admin/config')).body.config.initialized).toBe(false);
  });

  it('bootstraps, creates everything, and prints the credentials it created once', async () => {
    const { code, output } = await apply([file()]);
    expect(code).toBe(0);
    expect(output).toMatch(/applied \d+ changes/);
    expect(output).not.toContain('sk_test_from_env_123');
    adminToken = /KMS_ADMIN_TOKEN=(\S+)/.exec(output)?.[1] as string;
    const printed = /identity shop-api: KMS_CLIENT_ID=(\S+) KMS_CLIENT_SECRET=(\S+)/.exec(output);
    clientId = printed?.[1] as string;
    clientSecret = printed?.[2] as string;
    expect(adminToken).toBeTruthy();
    expect(clientSecret).toBeTruthy();
    // The OIDC identity's id, which its logins name (not a secret).
    expect(output).toMatch(/identity shop-ci: KMS_IDENTITY_ID=[0-9a-f-]{36} /);

    // The printed identity logs in and reads what the file put there, imports included.
    const login = await call('POST', '/api/v1/auth/universal-auth/login', undefined, {
      clientId,
      clientSecret,
    });
    expect(login.status).toBe(200);
    const project = (await call('GET', '/api/v2/workspace/shop', adminToken)).body;
    expect(project.environments.map((e: { slug: string }) => e.slug)).toEqual([
      'dev',
      'staging',
      'prod',
      'qa',
    ]);
    const list = await call(
      'GET',
      `/api/v3/secrets/raw?workspaceId=${project.id}&environment=dev&secretPath=/app&include_imports=true`,
      login.body.accessToken,
    );
    expect(list.status).toBe(200);
    const values = Object.fromEntries(
      list.body.secrets.map((s: { secretKey: string; secretValue: string }) => [s.secretKey, s.secretValue]),
    );
    expect(values).toEqual({
      DB_URL: 'postgres://app@localhost/shop',
      STRIPE_KEY: 'sk_test_from_env_123',
      PAYMENT_MODE: 'test',
    });
    const mode = list.body.secrets.find((s: { secretKey: string }) => s.secretKey === 'PAYMENT_MODE');
    expect(mode.secretComment).toBe('never live in dev');
    expect(mode.tags.map((t: { slug: string }) => t.slug)).toEqual(['pci']);
    expect(list.body.imports[0].secrets[0]).toMatchObject({ secretKey: 'REGION', secretValue: 'eu-west-1' });
    // Settings reach the API as written: the trusted range keeps its /8.
    const identities = (await call('GET', `/api/v1/identities?orgId=${project.orgId}`, adminToken)).body
      .identities;
    const apiId = identities.find((i: { identity: { name: string } }) => i.identity.name === 'shop-api')
      .identity.id;
    const ua = (await call('GET', `/api/v1/auth/universal-auth/identities/${apiId}`, adminToken)).body;
    expect(ua.identityUniversalAuth.accessTokenTrustedIps).toEqual([
      { ipAddress: '127.0.0.0', type: 'ipv4', prefix: 8 },
    ]);
    // A viewer cannot write: the membership role came from the file.
    const write = await call('POST', '/api/v3/secrets/raw/NEW', login.body.accessToken, {
      workspaceId: project.id,
      environment: 'dev',
      secretPath: '/app',
      secretValue: 'x',
    });
    expect(write.status).toBe(403);
  });

  it('a second run changes nothing and says so, and prints no credentials', async () => {
    const { code, output } = await apply([file()], { KMS_ADMIN_TOKEN: adminToken });
    expect(code).toBe(0);
    expect(output).toContain('no changes: the server already matches kms.yaml');
    expect(output).not.toContain('KMS_CLIENT_SECRET');
    expect(output).not.toContain('KMS_ADMIN_TOKEN=');
    // After bootstrap the admin token is all it needs: the bootstrap password is not asked for again.
    const tokenOnly = await runCli(['apply', file(), '--url', server.url], {
      STRIPE_KEY: ENV.STRIPE_KEY,
      KMS_ADMIN_TOKEN: adminToken,
    });
    expect(tokenOnly.output).toContain('no changes: the server already matches kms.yaml');
    expect(tokenOnly.code).toBe(0);
  });

  it('applies a change (value, role, new environment) and plans it first with --dry-run', async () => {
    const changed = writeFile(
      'kms.yaml',
      FILE.replace('eu-west-1', 'eu-central-1')
        .replace('{ project: shop, role: viewer }', '{ project: shop, role: member }')
        .replace('{ slug: qa, name: Quality }', '{ slug: qa, name: Quality }, perf'),
    );
    const dry = await apply([changed, '--dry-run'], { KMS_ADMIN_TOKEN: adminToken });
    expect(dry.code).toBe(0);
    expect(dry.output).toContain('~ secret shop/dev:/shared REGION (value)');
    expect(dry.output).toContain('~ membership shop-api → shop (viewer → member)');
    expect(dry.output).toContain('+ environment shop/perf');
    expect(dry.output).toContain('dry run: 3 changes planned, nothing applied');
    const run = await apply([changed], { KMS_ADMIN_TOKEN: adminToken });
    expect(run.output).toContain('applied 3 changes');
    expect((await apply([changed], { KMS_ADMIN_TOKEN: adminToken })).output).toContain('no changes');
    // The client secret printed on the first run still works: apply never rotates credentials.
    expect(
      (await call('POST', '/api/v1/auth/universal-auth/login', undefined, { clientId, clientSecret })).status,
    ).toBe(200);
  });

  it('rotates a client secret in two runs: adds the second (printing only it), then revokes the first', async () => {
    const withSecrets = (lines: string) =>
      // Its own file: a timed-out test before it may still be writing kms.yaml.
      writeFile(
        'rotation.yaml',
        FILE.replace(
          `    projects:
      - { project: shop, role: viewer }`,
          `    projects:
      - { project: shop, role: viewer }
${lines}`,
        ),
      );
    // Run 1: the secret the first apply created stays; a second one is created and printed once.
    const add = withSecrets(`    clientSecrets:
      - { description: kms-server apply }
      - { description: deploy-2027 }`);
    const dry = await apply([add, '--dry-run'], { KMS_ADMIN_TOKEN: adminToken });
    expect(dry.output).toContain('+ client secret "deploy-2027" for identity shop-api');
    expect(dry.output).not.toContain('KMS_CLIENT_SECRET');
    const first = await apply([add], { KMS_ADMIN_TOKEN: adminToken });
    expect(first.code).toBe(0);
    expect(first.output).toContain('+ client secret "deploy-2027" for identity shop-api');
    const printed = [...first.output.matchAll(/KMS_CLIENT_SECRET=(\S+)/g)].map((m) => m[1]);
    expect(printed).toHaveLength(1);
    const second = printed[0] as string;
    expect(second).not.toBe(clientSecret);
    expect(first.output).not.toContain(clientSecret);
    expect((await apply([add], { KMS_ADMIN_TOKEN: adminToken })).output).toContain('no changes');
    // Both secrets log in while the workloads switch over.
    for (const secret of [clientSecret, second]) {
      expect(
        (
          await call('POST', '/api/v1/auth/universal-auth/login', undefined, {
            clientId,
            clientSecret: secret,
          })
        ).status,
      ).toBe(200);
    }
    // Run 2: the first secret is revoked, with the tokens it issued; the second keeps working.
    const oldToken = (
      await call('POST', '/api/v1/auth/universal-auth/login', undefined, { clientId, clientSecret })
    ).body.accessToken;
    const revoke = withSecrets(`    clientSecrets:
      - { description: deploy-2027 }
    revokeClientSecrets: [kms-server apply]`);
    const run = await apply([revoke], { KMS_ADMIN_TOKEN: adminToken });
    expect(run.output).toContain(
      '~ client secret "kms-server apply" of identity shop-api revoked (and its tokens)',
    );
    expect(run.output).not.toContain('KMS_CLIENT_SECRET');
    expect(
      (await call('POST', '/api/v1/auth/universal-auth/login', undefined, { clientId, clientSecret })).status,
    ).toBe(401);
    expect((await call('GET', '/api/v2/workspace/shop', oldToken)).status).toBe(401);
    const login = await call('POST', '/api/v1/auth/universal-auth/login', undefined, {
      clientId,
      clientSecret: second,
    });
    expect(login.status).toBe(200);
    expect((await apply([revoke], { KMS_ADMIN_TOKEN: adminToken })).output).toContain('no changes');
    clientSecret = second;
  }, 120_000);

  it('refuses a client secret both wanted and revoked, or listed without universalAuth', async () => {
    const bad = writeFile(
      'bad-secrets.yaml',
      `identities:
  - name: both
    universalAuth: {}
    clientSecrets: [{ description: a }]
    revokeClientSecrets: [a]
  - name: none
    clientSecrets: [{ description: b }]
`,
    );
    const { code, output } = await apply([bad], { KMS_ADMIN_TOKEN: adminToken });
    expect(code).not.toBe(0);
    expect(output).toContain('client secret "a" is both wanted (clientSecrets) and revoked');
    expect(output).toContain('client secrets need universalAuth on the identity');
  });

  it('reports every problem of a bad file with its path, and changes nothing', async () => {
    const bad = writeFile(
      'bad.yaml',
      `
projects:
  - slug: shop
    enviroments: [dev]
  - slug: web
    secrets:
      - environment: dve
        values:
          API_KEY: { fromEnv: NOT_SET_ANYWHERE }
          lower: x
identities:
  - name: svc
    universalAuth: { accessTokenTTL: -5 }
`,
    );
    const { code, output } = await apply([bad], { KMS_ADMIN_TOKEN: adminToken });
    expect(code).toBe(1);
    expect(output).toContain('nothing was changed');
    expect(output).toContain('projects[0]: unknown key "enviroments" (did you mean "environments"?)');
    expect(output).toMatch(/identities\[0\]\.universalAuth\.accessTokenTTL: /);
    const second = writeFile(
      'bad2.yaml',
      `
projects:
  - slug: web
    secrets:
      - environment: dve
        values:
          API_KEY: { fromEnv: NOT_SET_ANYWHERE }
`,
    );
    const refs = await apply([second], { KMS_ADMIN_TOKEN: adminToken });
    expect(refs.code).toBe(1);
    expect(refs.output).toContain(
      "projects[0].secrets[0].environment: environment dve is not one of the project's (dev, staging, prod); did you mean dev?",
    );
    expect(refs.output).toContain(
      'projects[0].secrets[0].values.API_KEY: environment variable NOT_SET_ANYWHERE is not set',
    );
    const notYaml = await apply([writeFile('broken.yaml', 'projects: [\n')], { KMS_ADMIN_TOKEN: adminToken });
    expect(notYaml.code).toBe(1);
    expect(notYaml.output).toMatch(/\(file\): not valid YAML/);
    expect((await call('GET', '/api/v2/workspace/web', adminToken)).status).toBe(404);
  });

  it('says what is missing: no admin token for a bootstrapped server, an unreachable server, a missing file', async () => {
    const noToken = await apply([file()]);
    expect(noToken.code).toBe(1);
    expect(noToken.output).toContain('is already bootstrapped: set KMS_ADMIN_TOKEN');
    const wrongToken = await apply([file()], { KMS_ADMIN_TOKEN: 'not-a-token' });
    expect(wrongToken.code).toBe(1);
    expect(wrongToken.output).toMatch(/KMS_ADMIN_TOKEN must be a valid token of an organization admin/);
    const closed = await startServer({ rateLimit: false });
    await closed.close();
    const down = await runCli(['apply', file(), '--url', closed.url], ENV);
    expect(down.code).toBe(1);
    expect(down.output).toContain(`cannot reach ${closed.url} (ECONNREFUSED): is the server running?`);
    const missing = await apply([join(dir, 'nope.yaml')], { KMS_ADMIN_TOKEN: adminToken });
    expect(missing.code).toBe(1);
    expect(missing.output).toContain('cannot read');
    expect(missing.output).toContain('ENOENT');
  });
});
