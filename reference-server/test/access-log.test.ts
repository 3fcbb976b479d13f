// KMS_LOG=info: one JSON access-log line per request with the operator's fields, and nothing that could
// be a credential, a token, a secret's name or value, or a query value.
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../src/app.js';
import { startTestServer, type TestServer } from './helpers/test-server.js';

const lines: Record<string, unknown>[] = [];
let raw = '';
const capture = new Writable({
  write(chunk, _encoding, done) {
    raw += String(chunk);
    for (const line of String(chunk).split('\n').filter(Boolean)) lines.push(JSON.parse(line));
    done();
  },
});

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer({ logger: createLogger({ level: 'info', destination: capture }) });
});
afterAll(() => server?.close());

const requestsLogged = () => lines.filter((line) => line.msg === 'request');

describe('access log', () => {
  it('logs method, route pattern, status, duration, request id, identity and IP; never secrets', async () => {
    const project = await server.createProject('access-log');
    const SECRET_NAME = 'STRIPE_WEBHOOK_KEY_4f1e';
    const SECRET_VALUE = 'whsec-value-9d8c7b';
    await server.admin('POST', '/api/v3/secrets/raw/' + SECRET_NAME, {
      workspaceId: project.id,
      environment: 'dev',
      secretPath: '/',
      secretValue: SECRET_VALUE,
    });
    const { identityId, clientId, clientSecret } = await server.createMachineIdentity({
      project: { id: project.id, role: 'viewer' },
    });
    const login = await server.login(clientId, clientSecret);
    const token = login.body.accessToken as string;
    lines.length = 0;
    const read = await server.call(
      'GET',
      `/api/v3/secrets/raw/${SECRET_NAME}?workspaceId=${project.id}&environment=dev&secretPath=/`,
      undefined,
      token,
    );
    expect(read.status).toBe(200);
    const missing = await server.call('GET', '/api/v9/nothing-here', undefined, token);
    expect(missing.status).toBe(404);

    const [readLine, missingLine] = requestsLogged();
    expect(readLine).toMatchObject({
      level: 30,
      method: 'GET',
      route: '/api/v3/secrets/raw/:secretName',
      status: 200,
      reqId: read.headers.get('x-request-id'),
      identityId,
      ip: expect.stringMatching(/127\.0\.0\.1/),
    });
    expect(typeof readLine?.durationMs).toBe('number');
    expect(missingLine).toMatchObject({ route: 'unmatched', status: 404 });
    for (const text of [SECRET_NAME, SECRET_VALUE, clientSecret, token, project.id]) {
      expect(raw).not.toContain(text);
    }
  });

  it('a login is logged without its credentials or the token it returns', async () => {
    const { clientId, clientSecret } = await server.createMachineIdentity();
    raw = '';
    lines.length = 0;
    const login = await server.login(clientId, clientSecret);
    expect(requestsLogged()).toEqual([
      expect.objectContaining({ method: 'POST', route: '/api/v1/auth/universal-auth/login', status: 200 }),
    ]);
    for (const text of [clientId, clientSecret, login.body.accessToken as string])
      expect(raw).not.toContain(text);
  });

  it('is off below info', async () => {
    const quiet: string[] = [];
    const sink = new Writable({
      write(chunk, _encoding, done) {
        quiet.push(String(chunk));
        done();
      },
    });
    const errorsOnly = await startTestServer({ logger: createLogger({ level: 'error', destination: sink }) });
    try {
      await errorsOnly.call('GET', '/api/status');
      expect(quiet).toEqual([]);
    } finally {
      await errorsOnly.close();
    }
  });
});
