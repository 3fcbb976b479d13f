/**
 * A {@link FetchLike} over `node:http` / `node:https` with keep-alive, for the SDK client that
 * kms-node builds. On Node the first `fetch()` loads undici (tens of milliseconds, several MB), which
 * a boot that only needs one login and one list should not pay; `node:http` is already loaded.
 * Proxies, `NODE_EXTRA_CA_CERTS` and `--use-openssl-ca` apply as for any `node:https` request.
 *
 * @module
 */
import type http from 'node:http';
import type { FetchLike, FetchLikeResponse } from '@hanzo/kms';
import { builtin } from './builtins.js';

type HttpModule = typeof http;
type Client = { request: HttpModule['request']; agent: http.Agent };

/** Keep-alive agents shared by every client of the process; idle sockets never hold the process open. */
const clients = new Map<string, Promise<Client>>();
function clientFor(protocol: string): Promise<Client> {
  let client = clients.get(protocol);
  if (!client) {
    // node:https (TLS) is only loaded for a server with an https URL.
    // builtins.ts: an ES import of node:http would load undici's WebSocket (~17 MB), the cost avoided here.
    client = Promise.resolve(builtin(protocol === 'https:' ? 'node:https' : 'node:http') as HttpModule).then(
      (module) => {
        const agent = new module.Agent({ keepAlive: true });
        agent.on('free', (socket) => socket.unref());
        return { request: module.request, agent };
      },
    );
    clients.set(protocol, client);
  }
  return client;
}

/** `fetch` for the SDK's transport on Node, without undici. */
export const nodeHttpFetch: FetchLike = async (url, init) => {
  const target = new URL(url);
  const { request: send, agent } = await clientFor(target.protocol);
  // An explicit length: node:http sends a DELETE body neither chunked nor sized otherwise, and the server
  // then reads no body (the SDK's batch delete carries one).
  const headers =
    init.body === undefined
      ? init.headers
      : { ...init.headers, 'content-length': String(Buffer.byteLength(init.body)) };
  return new Promise<FetchLikeResponse>((resolve, reject) => {
    const request = send(target, { method: init.method, headers, agent, signal: init.signal }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('error', reject);
      response.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8');
        resolve({
          status: response.statusCode ?? 0,
          headers: {
            get(name) {
              const value = response.headers[name.toLowerCase()];
              return value === undefined ? null : Array.isArray(value) ? value.join(', ') : String(value);
            },
          },
          text: async () => body,
        });
      });
    });
    request.on('error', reject);
    request.end(init.body);
  });
};
