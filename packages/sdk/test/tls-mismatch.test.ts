// An https:// site URL pointed at a plain-HTTP server: the connection error says it is a TLS/plain-HTTP
// mismatch (a real loopback server, Node's fetch), while a closed port stays "could not reach".
import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KmsClient, KmsConnectionError } from '../src/index.js';

let server: Server;
let port: number;

beforeAll(async () => {
  server = createServer((_request, response) => response.end('plain'));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as { port: number }).port;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

function client(siteUrl: string) {
  return new KmsClient({
    siteUrl,
    auth: { universalAuth: { clientId: 'client-id', clientSecret: 'client-secret-4e1a' } },
    retry: { maxRetries: 0 },
  });
}

describe('TLS/plain-HTTP mismatch', () => {
  it('https:// against a plain-HTTP server is named as a mismatch', async () => {
    const error = await client(`https://127.0.0.1:${port}`)
      .secrets.list({ projectId: 'p', environment: 'dev' })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(KmsConnectionError);
    expect((error as KmsConnectionError).tlsMismatch).toBe(true);
    expect((error as Error).message).toMatch(/TLS\/plain-HTTP mismatch: .*use an http:\/\/ URL/);
    expect((error as Error).message).not.toContain('client-secret-4e1a');
  });

  it('a closed port is not a mismatch', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const closedPort = (closed.address() as { port: number }).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const error = await client(`https://127.0.0.1:${closedPort}`)
      .secrets.list({ projectId: 'p', environment: 'dev' })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(KmsConnectionError);
    expect((error as KmsConnectionError).tlsMismatch).toBe(false);
    expect((error as Error).message).toMatch(/could not reach the KMS server$/);
  });
});
