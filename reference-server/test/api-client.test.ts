// The server's own API client (src/provisioning/api-client.ts), the one that `kms-server dev`,
// `apply`, the test kit and these tests provision with, against a real server over HTTP.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiCallError, ApiClient } from '../src/index.js';
import { startTestServer, type TestServer } from './helpers/test-server.js';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server.close());

describe('ApiClient', () => {
  it('acts with the token it was given, and per request with another', async () => {
    const api = new ApiClient(server.url, server.adminToken);
    const project = await api.call<{ project: { id: string; slug: string } }>('POST', '/api/v2/workspace', {
      projectName: 'api-client',
      slug: 'api-client',
    });
    expect(project.project.slug).toBe('api-client');
    const anonymous = await api.exchange('GET', `/api/v1/workspace/${project.project.id}`, {
      token: 'not-a-token',
    });
    expect(anonymous.status).toBe(403);
    expect(anonymous.body).toMatchObject({ statusCode: 403 });
  });

  it('answers a refusal with ApiCallError: status, the API message, the answer text, never the request body', async () => {
    const api = new ApiClient(server.url, server.adminToken);
    const answer = await api.request('POST', '/api/v2/workspace', {
      projectName: 'p',
      slug: 'Not A Slug!',
      secret: 's3cr3t-value',
    });
    expect(answer.status).toBe(422);
    const error = answer.body as unknown as ApiCallError;
    expect(error).toBeInstanceOf(ApiCallError);
    expect(error.apiMessage).toMatch(/slug/);
    expect(JSON.parse(error.responseText)).toMatchObject({ statusCode: 422 });
    expect(error.message).not.toContain('s3cr3t-value');
    await expect(
      api.call('POST', '/api/v2/workspace', { projectName: 'p', slug: 'Not A Slug!' }),
    ).rejects.toThrow(/POST \/api\/v2\/workspace failed with 422/);
    expect(await api.find('/api/v1/workspace/00000000-0000-4000-8000-000000000000')).toBeUndefined();
  });

  it('exchange sends a string body as it is and returns the answer with its text and parsed body', async () => {
    const api = new ApiClient(server.url, server.adminToken);
    const malformed = await api.exchange('POST', '/api/v2/workspace', { body: '{"projectName":' });
    expect(malformed.status).toBe(400);
    expect(malformed.headers.get('content-type')).toMatch(/json/);
    expect(malformed.body).toEqual(JSON.parse(malformed.text));
  });
});
