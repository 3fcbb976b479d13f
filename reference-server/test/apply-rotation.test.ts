// `kms-server apply` declaring an app connection and a secret rotation, run as the CLI process
// against a real PostgreSQL whose users the rotation changes.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { ApiClient } from '../src/provisioning/api-client.js';
import { type RunningServer, startServer } from '../src/server.js';
import { runCli } from './helpers/cli-process.js';
import { createRotationTarget, type RotationTarget } from './helpers/rotation-target.js';

const dir = mkdtempSync(join(tmpdir(), 'kms-apply-rotation-'));
let server: RunningServer;
let target: RotationTarget;

const fileText = (interval: number, username2?: string) => `
bootstrap:
  email: ops@example.test
  password: S3cure-pass!
  organization: Orders
appConnections:
  - name: orders-db
    credentials:
      host: ${target.host}
      port: ${target.port}
      database: ${target.database}
      username: ${target.admin.username}
      password: { fromEnv: ORDERS_DB_ADMIN_PASSWORD }
projects:
  - slug: orders
    secrets:
      - environment: prod
        path: /db
        values:
          DB_HOST: ${target.host}
    secretRotations:
      - name: orders-db-credentials
        connection: orders-db
        environment: prod
        path: /db
        rotationInterval: ${interval}
        rotateAtUtc: { hours: 4, minutes: 30 }
        parameters: { username1: ${target.usernames[0]}, username2: ${username2 ?? target.usernames[1]} }
        secretsMapping: { username: DB_USER, password: DB_PASSWORD }
`;

function writeFile(name: string, text: string) {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}
const apply = (args: string[], env: Record<string, string> = {}) =>
  runCli(['apply', ...args, '--url', server.url], {
    ORDERS_DB_ADMIN_PASSWORD: target.admin.password,
    ...env,
  });

beforeAll(async () => {
  server = await startServer({ rateLimit: false });
  target = await createRotationTarget(inject('postgresAdminUrl'));
});
afterAll(async () => {
  await server?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('kms-server apply: app connections and secret rotations', () => {
  let adminToken: string;

  it('plans them with --dry-run, then creates them; the rotation writes the mapped secrets', async () => {
    const file = writeFile('kms.yaml', fileText(30));
    const plan = await apply([file, '--dry-run']);
    expect(plan.code).toBe(0);
    expect(plan.output).toContain('+ app connection orders-db');
    expect(plan.output).toContain(
      '+ secret rotation orders/prod:/db orders-db-credentials (writes DB_USER, DB_PASSWORD)',
    );

    const { code, output } = await apply([file]);
    expect(code, output).toBe(0);
    expect(output).not.toContain(target.admin.password);
    adminToken = /KMS_ADMIN_TOKEN=(\S+)/.exec(output)?.[1] as string;
    const api = new ApiClient(server.url, adminToken);
    const projectId = (await api.request<{ id: string }>('GET', '/api/v2/workspace/orders')).body.id;
    const { secrets } = (
      await api.request<any>(
        'GET',
        `/api/v3/secrets/raw?workspaceId=${projectId}&environment=prod&secretPath=/db`,
      )
    ).body;
    const values = Object.fromEntries(secrets.map((s: any) => [s.secretKey, s.secretValue]));
    expect(values.DB_USER).toBe(target.usernames[0]);
    expect(await target.canLogin(values.DB_USER, values.DB_PASSWORD)).toBe(true);
    expect(output).not.toContain(values.DB_PASSWORD);
  });

  it('a second run changes nothing; a new schedule is applied; a new user is refused', async () => {
    const same = await apply([writeFile('kms.yaml', fileText(30))], { KMS_ADMIN_TOKEN: adminToken });
    expect(same.code, same.output).toBe(0);
    expect(same.output).toContain('no changes: the server already matches kms.yaml');

    const weekly = await apply([writeFile('kms.yaml', fileText(7))], { KMS_ADMIN_TOKEN: adminToken });
    expect(weekly.code, weekly.output).toBe(0);
    expect(weekly.output).toContain(
      '~ secret rotation orders/prod:/db orders-db-credentials (rotationInterval)',
    );

    const moved = await apply([writeFile('kms.yaml', fileText(7, 'someone_else'))], {
      KMS_ADMIN_TOKEN: adminToken,
    });
    expect(moved.code).toBe(1);
    expect(moved.output).toContain(
      'parameters of an existing rotation cannot change; delete the rotation first',
    );
  });

  it('reports file problems before changing anything', async () => {
    const bad = fileText(7).replace('          DB_HOST:', '          DB_PASSWORD: x\n          DB_HOST:');
    const r = await apply([writeFile('bad.yaml', bad)], {
      KMS_ADMIN_TOKEN: adminToken,
      ORDERS_DB_ADMIN_PASSWORD: '',
    });
    expect(r.code).not.toBe(0);
    expect(r.output).toContain(
      'projects[0].secretRotations[0].secretsMapping: DB_PASSWORD at prod:/db is written by the rotation',
    );
    const unset = await runCli(['apply', writeFile('kms.yaml', fileText(7)), '--url', server.url], {
      KMS_ADMIN_TOKEN: adminToken,
    });
    expect(unset.output).toContain(
      'appConnections[0].credentials.password: environment variable ORDERS_DB_ADMIN_PASSWORD is not set',
    );
  });
});
