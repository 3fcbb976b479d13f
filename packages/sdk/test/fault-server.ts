// msw handlers for fault-path unit tests. Behaviour is tested against the real reference server; these
// handlers only exist to produce faults the real server cannot be made to produce on demand.
import { HttpResponse, http } from 'msw';
import { setupServer } from 'msw/node';

export const SITE = 'http://kms.test';
export const API = `${SITE}/api`;
export const CLIENT_SECRET = 'cs-0123456789abcdef-very-secret';
export const SECRET_VALUE = 'p4ssw0rd-value-that-must-not-leak';

export interface LoginRecord {
  authorization: string | null;
  body: Record<string, unknown>;
}

/** Records what the fake auth endpoints saw and hands out numbered tokens. */
export class FakeAuth {
  logins: LoginRecord[] = [];
  renewals: string[] = [];
  revocations: string[] = [];
  issued = 0;
  expiresIn = 3600;
  maxTtl = 86400;
  renewStatus = 200;

  get current(): string {
    return `token-${this.issued}-abcdefgh`;
  }

  handlers() {
    return [
      http.post(`${API}/v1/auth/universal-auth/login`, async ({ request }) => {
        this.logins.push({
          authorization: request.headers.get('authorization'),
          body: (await request.json()) as Record<string, unknown>,
        });
        this.issued++;
        return HttpResponse.json({
          accessToken: this.current,
          expiresIn: this.expiresIn,
          accessTokenMaxTTL: this.maxTtl,
          tokenType: 'Bearer',
        });
      }),
      http.post(`${API}/v1/auth/token/renew`, async ({ request }) => {
        const body = (await request.json()) as { accessToken: string };
        this.renewals.push(body.accessToken);
        if (request.headers.get('authorization')) throw new Error('Authorization sent on renew');
        if (this.renewStatus !== 200) {
          return HttpResponse.json(
            {
              statusCode: this.renewStatus,
              error: 'UnauthorizedError',
              message: 'renew refused',
              reqId: 'req-renew',
            },
            { status: this.renewStatus },
          );
        }
        this.issued++;
        return HttpResponse.json({
          accessToken: this.current,
          expiresIn: this.expiresIn,
          accessTokenMaxTTL: this.maxTtl,
          tokenType: 'Bearer',
        });
      }),
      http.post(`${API}/v1/auth/token/revoke`, async ({ request }) => {
        const body = (await request.json()) as { accessToken: string };
        this.revocations.push(body.accessToken);
        return HttpResponse.json({ message: 'Successfully revoked access token' });
      }),
    ];
  }
}

export function secretJson(key: string, value = SECRET_VALUE, extra: Record<string, unknown> = {}) {
  return {
    id: `id-${key}`,
    _id: `id-${key}`,
    workspace: 'proj-1',
    environment: 'dev',
    version: 1,
    type: 'shared',
    secretKey: key,
    secretValue: value,
    secretComment: '',
    secretPath: '/',
    ...extra,
  };
}

export const mswServer = setupServer();
