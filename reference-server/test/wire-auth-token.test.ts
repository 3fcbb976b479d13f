// Token Auth answers as upstream. Upstream sources followed:
// backend/src/server/routes/v1/identity-token-auth-router.ts (bodies, answer keys, the audit events
// of every route but the token revoke) and
// backend/src/services/identity-token-auth/identity-token-auth-service.ts (refusals and their words).
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from './helpers/test-server.js';

let kms: TestServer;
beforeEach(async () => {
  kms = await startTestServer();
});
afterEach(() => kms.close());

const TA = '/api/v1/auth/token-auth';

async function newIdentity() {
  const { identity } = await kms.admin('POST', '/api/v1/identities', {
    name: `ta-${Math.random()}`,
    organizationId: kms.orgId,
  });
  return identity.id as string;
}

async function withTokenAuth(config: Record<string, unknown> = {}) {
  const identityId = await newIdentity();
  await kms.admin('POST', `${TA}/identities/${identityId}`, config);
  return identityId;
}

const CONFIG_KEYS = [
  'accessTokenMaxTTL',
  'accessTokenNumUsesLimit',
  'accessTokenPeriod',
  'accessTokenTTL',
  'accessTokenTrustedIps',
  'createdAt',
  'id',
  'identityId',
  'updatedAt',
];

describe('Token Auth configuration', () => {
  it("answers upstream's keys and refuses in upstream's words", async () => {
    const identityId = await withTokenAuth({ accessTokenTTL: 60, accessTokenMaxTTL: 120 });
    const item = `${TA}/identities/${identityId}`;
    expect(Object.keys((await kms.admin('GET', item)).identityTokenAuth).sort()).toEqual(CONFIG_KEYS);

    const twice = await kms.call('POST', item, {}, kms.adminToken);
    expect(twice.status).toBe(400);
    expect(twice.body.message).toBe('Failed to add Token Auth to already configured identity');
    const above = await kms.call('PATCH', item, { accessTokenTTL: 121 }, kms.adminToken);
    expect(above.status).toBe(400);
    expect(above.body.message).toBe('Access token TTL cannot be greater than max TTL');
    const aboveOnAttach = await kms.call(
      'POST',
      `${TA}/identities/${await newIdentity()}`,
      { accessTokenTTL: 121, accessTokenMaxTTL: 120 },
      kms.adminToken,
    );
    expect(aboveOnAttach.status).toBe(422);
    expect(aboveOnAttach.body.message[0].message).toBe(
      'Access Token TTL cannot be greater than Access Token Max TTL.',
    );

    const bare = `${TA}/identities/${await newIdentity()}`;
    const cases: [string, string, unknown, number, string][] = [
      ['GET', bare, undefined, 404, 'Token Auth configuration not found for identity'],
      ['PATCH', bare, { accessTokenTTL: 60 }, 400, 'The identity does not have token auth'],
      ['DELETE', bare, undefined, 400, 'The identity does not have Token Auth'],
      ['POST', `${bare}/tokens`, {}, 400, 'The identity does not have Token Auth'],
      ['GET', `${bare}/tokens`, undefined, 400, 'The identity does not have Token Auth'],
    ];
    for (const [method, path, body, status, message] of cases) {
      const r = await kms.call(method, path, body, kms.adminToken);
      expect(r.status, `${method} ${path}`).toBe(status);
      expect(r.body.message, `${method} ${path}`).toBe(message);
    }
    const missing = '8d0f3e8a-1c2b-4e5f-9a6b-7c8d9e0f1a2b';
    const unknown = await kms.call('GET', `${TA}/identities/${missing}`, undefined, kms.adminToken);
    expect(unknown.status).toBe(404);
    expect(unknown.body.message).toBe(`Failed to find identity with ID ${missing}`);
  });
});

describe('Token Auth tokens', () => {
  it('create, list (newest change first), read, rename and revoke, with the answers and messages of upstream', async () => {
    const identityId = await withTokenAuth({ accessTokenTTL: 60, accessTokenMaxTTL: 120 });
    const tokens = `${TA}/identities/${identityId}/tokens`;
    const first = await kms.admin('POST', tokens, { name: 'first' });
    expect(Object.keys(first).sort()).toEqual([
      'accessToken',
      'accessTokenMaxTTL',
      'expiresIn',
      'tokenData',
      'tokenType',
    ]);
    expect(first).toMatchObject({ expiresIn: 60, accessTokenMaxTTL: 120, tokenType: 'Bearer' });
    expect(first.tokenData).toMatchObject({ name: 'first', authMethod: 'token-auth', identityId });
    expect(JSON.stringify(first.tokenData)).not.toContain(first.accessToken);
    kms.clock.advance(1);
    const second = await kms.admin('POST', tokens, { name: 'second' });

    expect((await kms.admin('GET', tokens)).tokens.map((t: { name: string }) => t.name)).toEqual([
      'second',
      'first',
    ]);
    kms.clock.advance(1);
    const renamed = await kms.admin('PATCH', `${TA}/tokens/${first.tokenData.id}`, { name: 'renamed' });
    expect(renamed.token.name).toBe('renamed');
    expect((await kms.admin('GET', tokens)).tokens.map((t: { name: string }) => t.name)).toEqual([
      'renamed',
      'second',
    ]);
    expect((await kms.admin('GET', `${TA}/tokens/${second.tokenData.id}`)).token.id).toBe(
      second.tokenData.id,
    );

    const revoke = (id: string) => kms.call('POST', `${TA}/tokens/${id}/revoke`, undefined, kms.adminToken);
    expect((await revoke(first.tokenData.id)).body).toEqual({ message: 'Successfully revoked access token' });
    const again = await revoke(first.tokenData.id);
    expect(again.status).toBe(404);
    expect(again.body.message).toBe(`Token with ID ${first.tokenData.id} not found or already revoked`);
    const missing = '8d0f3e8a-1c2b-4e5f-9a6b-7c8d9e0f1a2b';
    for (const method of ['GET', 'PATCH']) {
      const r = await kms.call(
        method,
        `${TA}/tokens/${missing}`,
        method === 'PATCH' ? { name: 'x' } : undefined,
        kms.adminToken,
      );
      expect(r.status, method).toBe(404);
      expect(r.body.message, method).toBe(`Token with ID ${missing} not found`);
    }
    // A token of another method is not a Token Auth token.
    const ua = await kms.createMachineIdentity();
    const uaToken = (await kms.login(ua.clientId, ua.clientSecret)).body.accessToken as string;
    const uaTokenId = JSON.parse(
      Buffer.from(uaToken.split('.')[1]!, 'base64url').toString(),
    ).identityAccessTokenId;
    expect((await kms.call('GET', `${TA}/tokens/${uaTokenId}`, undefined, kms.adminToken)).status).toBe(404);
  });

  it('audits the reads and the rename under upstream event names, never the token', async () => {
    const identityId = await withTokenAuth();
    const created = await kms.admin('POST', `${TA}/identities/${identityId}/tokens`, { name: 'audited' });
    const tokenId = created.tokenData.id;
    await kms.admin('GET', `${TA}/identities/${identityId}`);
    await kms.admin('GET', `${TA}/identities/${identityId}/tokens`);
    await kms.admin('GET', `${TA}/tokens/${tokenId}`);
    await kms.admin('PATCH', `${TA}/tokens/${tokenId}`, { name: 'renamed' });
    const { auditLogs } = await kms.admin('GET', '/api/v1/audit-logs?limit=100');
    const byType = (type: string) =>
      (auditLogs as { event: { type: string; metadata: Record<string, unknown> } }[]).find(
        (e) => e.event.type === type,
      )?.event.metadata;
    expect(byType('get-identity-token-auth')).toMatchObject({ identityId });
    expect(byType('get-tokens-identity-token-auth')).toMatchObject({ identityId });
    expect(byType('get-token-identity-token-auth')).toMatchObject({ identityId, tokenId });
    expect(byType('update-token-identity-token-auth')).toMatchObject({
      identityId,
      tokenId,
      name: 'renamed',
    });
    expect(byType('create-token-identity-token-auth')).toMatchObject({
      identityId,
      identityAccessTokenId: tokenId,
    });
    expect(JSON.stringify(auditLogs)).not.toContain(created.accessToken);
  });

  it('refuses a caller without the org right, for the identity of its own organization', async () => {
    const identityId = await withTokenAuth();
    const created = await kms.admin('POST', `${TA}/identities/${identityId}/tokens`, {});
    const member = await kms.createMachineIdentity();
    const token = (await kms.login(member.clientId, member.clientSecret)).body.accessToken;
    for (const [method, path, body] of [
      ['POST', `${TA}/identities/${identityId}/tokens`, {}],
      ['GET', `${TA}/identities/${identityId}/tokens`, undefined],
      ['GET', `${TA}/tokens/${created.tokenData.id}`, undefined],
      ['POST', `${TA}/tokens/${created.tokenData.id}/revoke`, undefined],
    ] as const) {
      const r = await kms.call(method, path, body, token);
      expect(r.status, `${method} ${path}`).toBe(403);
    }
    expect((await kms.admin('GET', `${TA}/tokens/${created.tokenData.id}`)).token.isAccessTokenRevoked).toBe(
      false,
    );
  });
});
