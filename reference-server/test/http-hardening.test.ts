import { connect } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { newTestDatabaseUrl, onPostgres } from './helpers/replicas.js';
import { startTestServer, type TestServer } from './helpers/test-server.js';

let kms: TestServer | undefined;
afterEach(() => kms?.close());

describe('bad input never reaches a 500', () => {
  it('answers malformed JSON, non-JSON bodies, oversized bodies and unknown routes with the envelope', async () => {
    kms = await startTestServer({ settings: { maxBodyBytes: 1024 } });
    const malformed = await kms.call('POST', '/api/v1/auth/universal-auth/login', '{"clientId": ');
    expect(malformed.status).toBe(400);
    expect(malformed.body).toMatchObject({
      statusCode: 400,
      error: 'BadRequest',
      message: 'Malformed JSON in request body',
    });

    const form = await kms.call('POST', '/api/v1/auth/universal-auth/login', 'clientId=a', undefined, {
      'content-type': 'application/x-www-form-urlencoded',
    });
    expect(form.status).toBe(415);

    const huge = await kms.call('POST', '/api/v1/auth/universal-auth/login', {
      clientId: 'a',
      clientSecret: 'x'.repeat(5000),
    });
    expect(huge.status).toBe(413);
    expect(huge.body.error).toBe('PayloadTooLarge');

    const unknown = await kms.call('GET', '/api/v9/nothing');
    expect(unknown.status).toBe(404);
    expect(unknown.body).toMatchObject({ statusCode: 404, reqId: expect.stringMatching(/^req-/) });
  });

  it('reports validation failures as 422 with the issues list, never echoing the input', async () => {
    kms = await startTestServer();
    const r = await kms.call('POST', '/api/v1/auth/universal-auth/login', {
      clientId: 42,
      clientSecret: 'hunter2-secret-value',
    });
    expect(r.status).toBe(422);
    expect(r.body.error).toBe('ValidationFailure');
    expect(Array.isArray(r.body.message)).toBe(true);
    expect(r.body.message[0]).toMatchObject({ path: ['body', 'clientId'] });
    expect(JSON.stringify(r.body)).not.toContain('hunter2');
  });

  it('survives a burst of hostile requests with no 5xx', async () => {
    kms = await startTestServer();
    const project = await kms.createProject('hostile');
    const bodies: [string, string, unknown][] = [
      ['POST', '/api/v2/workspace', { projectName: 'x'.repeat(10_000) }],
      ['POST', '/api/v2/workspace', { projectName: null }],
      ['POST', '/api/v2/workspace', []],
      ['POST', '/api/v1/identities', { name: { $gt: '' }, organizationId: kms.orgId }],
      ['PATCH', `/api/v1/workspace/${project.id}`, { slug: '../../etc' }],
      ['GET', `/api/v1/workspace/${encodeURIComponent("' OR 1=1 --")}`, undefined],
      ['GET', '/api/v1/identities?orgId[]=a&orgId[]=b', undefined],
      ['POST', '/api/v1/auth/token/renew', { accessToken: 'a.b.c' }],
      ['POST', `/api/v2/workspace/${project.id}/identity-memberships/%00`, { role: 'viewer' }],
    ];
    for (const [method, path, body] of bodies) {
      const r = await kms.call(method, path, body, kms.adminToken);
      expect(r.status, `${method} ${path}`).toBeGreaterThanOrEqual(400);
      expect(r.status, `${method} ${path}`).toBeLessThan(500);
      expect(r.body).toHaveProperty('reqId');
    }
  });
});

/** Sends `head` (request line and headers, exactly as given) and no body; the status and JSON body. */
async function rawRequest(url: string, head: string[]): Promise<{ status: number; body: any }> {
  const { hostname, port } = new URL(url);
  const answer = await new Promise<string>((resolve, reject) => {
    const socket = connect(Number(port), hostname, () =>
      // Not half-closed: the server ends the connection after its answer (Connection: close).
      socket.write(`${[...head, `Host: ${hostname}`, 'Connection: close'].join('\r\n')}\r\n\r\n`),
    );
    let text = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk) => {
      text += chunk;
    });
    socket.on('end', () => resolve(text));
    socket.on('error', reject);
  });
  const [headers = '', body = ''] = answer.split('\r\n\r\n');
  return { status: Number(headers.split(' ')[1]), body: JSON.parse(body) };
}

describe('requests without a body', () => {
  // src/http/json-body.ts skips the body checks for a request with none of Content-Length,
  // Transfer-Encoding and Content-Encoding; with any of them the checks run as for a body.
  it('answer as a body would: 422 naming the field, a refused Content-Encoding still 415', async () => {
    // One server, no round-robin proxy in front: the proxy would add a Content-Length of its own.
    kms = await startTestServer(onPostgres ? { databaseUrl: await newTestDatabaseUrl() } : {});
    const login = 'POST /api/v1/auth/universal-auth/login HTTP/1.1';
    const missingClientId = { path: ['body', 'clientId'] };
    for (const head of [
      [login],
      [login, 'Content-Length: 0'],
      [login, 'Content-Length: 0', 'Content-Type: application/json'],
    ]) {
      const res = await rawRequest(kms.url, head);
      expect(res.status, head.join(', ')).toBe(422);
      expect(res.body.message[0], head.join(', ')).toMatchObject(missingClientId);
    }
    const zstd = await rawRequest(kms.url, ['GET /api/status HTTP/1.1', 'Content-Encoding: zstd']);
    expect(zstd.status).toBe(415);
    expect(zstd.body.message).toBe('Content-Encoding zstd is not accepted; use identity, gzip, deflate, br');
    const status = await rawRequest(kms.url, ['GET /api/status HTTP/1.1']);
    expect(status.status).toBe(200);
    expect(status.body.message).toBe('Ok');
  });
});

describe('rate limiting', () => {
  it('answers 429 RateLimitExceeded with Retry-After once a per-IP bucket is spent, and resets with the window', async () => {
    kms = await startTestServer({ rateLimit: { authLimit: 3, windowSeconds: 60 } });
    const statuses = [];
    for (let i = 0; i < 4; i++)
      statuses.push((await kms.login('00000000-0000-4000-8000-000000000000', 'x')).status);
    expect(statuses).toEqual([401, 401, 401, 429]);
    const limited = await kms.login('00000000-0000-4000-8000-000000000000', 'x');
    expect(limited.body).toMatchObject({ statusCode: 429, error: 'RateLimitExceeded' });
    expect(limited.body.message).toMatch(/^Rate limit exceeded\. Please try again in \d+ seconds$/);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    expect((await kms.call('GET', '/api/status')).status).toBe(200);
    kms.clock.advance(61);
    expect((await kms.login('00000000-0000-4000-8000-000000000000', 'x')).status).toBe(401);
  });
});
