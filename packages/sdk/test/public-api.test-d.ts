import { describe, expectTypeOf, it } from 'vitest';
import {
  type AccessTokenInfo,
  type KmsApiError,
  KmsClient,
  type KmsClientEvents,
  type ListSecretsResult,
  type LoginStrategy,
  type RequestOptions,
  type Secret,
} from '../src/index.js';

const kms = new KmsClient({ siteUrl: 'http://localhost:8080' });

describe('public API types', () => {
  it('secrets.list takes params and request options and returns typed secrets', () => {
    expectTypeOf(kms.secrets.list).parameter(1).toEqualTypeOf<RequestOptions | undefined>();
    expectTypeOf(
      kms.secrets.list({ projectId: 'p', environment: 'dev' }),
    ).resolves.toEqualTypeOf<ListSecretsResult>();
    expectTypeOf<ListSecretsResult['secrets'][number]>().toEqualTypeOf<Secret>();
    expectTypeOf<Secret['secretValue']>().toBeString();
    expectTypeOf(kms.secrets.retrieve).returns.resolves.toEqualTypeOf<Secret>();
    expectTypeOf(kms.secrets.batch.create).returns.resolves.toEqualTypeOf<Secret[]>();
  });

  it('environment is required and unknown params are rejected', () => {
    // @ts-expect-error environment is required
    void kms.secrets.list({ projectId: 'p' });
    // @ts-expect-error unknown key
    void kms.secrets.list({ projectId: 'p', environment: 'dev', recursiv: true });
  });

  it('auth returns token lifetimes, never the token', () => {
    expectTypeOf(kms.auth.universalAuth.login).returns.resolves.toEqualTypeOf<AccessTokenInfo>();
    expectTypeOf<AccessTokenInfo>().not.toHaveProperty('accessToken');
    expectTypeOf(kms.auth.accessToken).parameter(0).toBeString();
  });

  it('options are typed', () => {
    // @ts-expect-error siteUrl is required
    void new KmsClient({});
    new KmsClient({ siteUrl: 'x', cache: { ttl: 1000, max: 10, staleIfError: true }, retry: false });
    const strategy: LoginStrategy = {
      method: 'oidc',
      loginRequest: async () => ({
        path: '/v1/auth/oidc-auth/login',
        body: { identityId: 'i', jwt: 'j' },
        sensitive: ['j'],
      }),
    };
    new KmsClient({ siteUrl: 'x', auth: { strategy } });
  });

  it('events carry typed payloads', () => {
    kms.on('tokenRefreshed', (e) => expectTypeOf(e).toEqualTypeOf<KmsClientEvents['tokenRefreshed']>());
    kms.on('error', (e) => expectTypeOf(e.error.message).toBeString());
    expectTypeOf(KmsClient.KmsNotFoundError).instance.toMatchTypeOf<KmsApiError>();
  });
});
