/**
 * A small OIDC discovery provider for tests and local development: serves
 * `/.well-known/openid-configuration` and a JWKS on loopback, and signs tokens (SPIFFE JWT-SVIDs by
 * default) with jose, the way a SPIRE OIDC Discovery Provider and SPIRE server would. Keys rotate on
 * demand so clients can be tested across a rotation. Not for production: the keys live in memory.
 */
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, type JWK, type JWTPayload, SignJWT } from 'jose';

/** Options of {@link startOidcProvider}. */
export interface OidcProviderOptions {
  /** Signing algorithm of the provider's keys. @default 'RS256' */
  algorithm?: 'RS256' | 'ES256' | 'PS256';
  /** Serve https with this certificate and key (PEM) instead of http. */
  tls?: { cert: string; key: string };
  /**
   * Loopback port to listen on, so the issuer URL is known before the provider starts (a `kms.yaml`
   * written in advance). @default 0, a free port
   */
  port?: number;
  /** Host name in the issuer URL (the listener is always 127.0.0.1). @default '127.0.0.1' */
  hostname?: string;
  /** Leave `kid` out of the JWKS and the tokens (providers that publish one key without an id). */
  omitKid?: boolean;
  /** Clock for `iat` and `exp`, in ms (match the KMS server's when a test controls time). @default Date.now */
  now?: () => number;
}

/** What {@link OidcProvider.svid} puts in a JWT-SVID. */
export interface SvidOptions {
  /** The SPIFFE ID (`sub`). @default 'spiffe://example.org/workload' */
  spiffeId?: string;
  /** `aud`. @default 'kms' */
  audience?: string | string[];
  /** Lifetime in seconds. @default 300 */
  ttlSeconds?: number;
  /** Extra claims. */
  claims?: Record<string, unknown>;
}

/** A running test provider. */
export interface OidcProvider {
  /** The issuer URL, also the OIDC discovery URL to configure (`oidcDiscoveryUrl`, `boundIssuer`). */
  issuer: string;
  /** The JWKS URL (for JWT Auth's `jwksUrl`). */
  jwksUrl: string;
  /** `kid` of the key new tokens are signed with. */
  currentKid: string;
  /** How many times each document was fetched. */
  fetches: { discovery: number; jwks: number };
  /** Signs arbitrary claims with the current key (`iss` and `iat` are added unless given). */
  sign(
    claims: JWTPayload,
    options?: {
      kid?: string;
      /** Lifetime when `claims` has no `exp`; `null` leaves `exp` out (a token that never expires). @default 300 */
      expiresInSeconds?: number | null;
      header?: Record<string, unknown>;
    },
  ): Promise<string>;
  /** A JWT-SVID: `sub` = the SPIFFE ID, `aud`, `iat`, `exp`. */
  svid(options?: SvidOptions): Promise<string>;
  /** A new signing key becomes current; the old one stays in the JWKS until {@link OidcProvider.retire}. */
  rotate(): Promise<string>;
  /** Removes a key from the JWKS. */
  retire(kid: string): void;
  /** The public JWK of every published key. */
  jwks(): JWK[];
  close(): Promise<void>;
}

interface ProviderKey {
  kid: string;
  privateKey: Awaited<ReturnType<typeof generateKeyPair>>['privateKey'];
  publicJwk: JWK;
}

/** Starts a provider on loopback: on `options.port`, or on a free port. */
export async function startOidcProvider(options: OidcProviderOptions = {}): Promise<OidcProvider> {
  const algorithm = options.algorithm ?? 'RS256';
  const nowSeconds = () => Math.floor((options.now ?? Date.now)() / 1000);
  const keys: ProviderKey[] = [];
  const newKey = async () => {
    const { privateKey, publicKey } = await generateKeyPair(algorithm, { extractable: true });
    const kid = randomUUID();
    const publicJwk = {
      ...(await exportJWK(publicKey)),
      use: 'sig',
      alg: algorithm,
      ...(options.omitKid ? {} : { kid }),
    };
    keys.push({ kid, privateKey, publicJwk });
    return kid;
  };
  let currentKid = await newKey();
  const fetches = { discovery: 0, jwks: 0 };
  let issuer = '';

  const handler: http.RequestListener = (req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    const json = (body: unknown) => {
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify(body));
    };
    if (path === '/.well-known/openid-configuration') {
      fetches.discovery++;
      return json({
        issuer,
        jwks_uri: `${issuer}/keys`,
        authorization_endpoint: `${issuer}/auth`,
        response_types_supported: ['id_token'],
        subject_types_supported: ['public'],
        id_token_signing_alg_values_supported: [algorithm],
      });
    }
    if (path === '/keys') {
      fetches.jwks++;
      return json({ keys: keys.map((k) => k.publicJwk) });
    }
    res.statusCode = 404;
    res.end();
  };
  const server = options.tls
    ? https.createServer({ cert: options.tls.cert, key: options.tls.key }, handler)
    : http.createServer(handler);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', resolve);
  });
  const { port } = server.address() as AddressInfo;
  issuer = `${options.tls ? 'https' : 'http'}://${options.hostname ?? '127.0.0.1'}:${port}`;

  const provider: OidcProvider = {
    issuer,
    jwksUrl: `${issuer}/keys`,
    get currentKid() {
      return currentKid;
    },
    fetches,
    async sign(claims, o = {}) {
      const key = keys.find((k) => k.kid === (o.kid ?? currentKid));
      if (!key) throw new Error(`no key ${o.kid}`);
      const jwt = new SignJWT({ iss: issuer, ...claims }).setProtectedHeader({
        alg: algorithm,
        typ: 'JWT',
        ...(options.omitKid ? {} : { kid: key.kid }),
        ...o.header,
      });
      if (claims.iat === undefined) jwt.setIssuedAt(nowSeconds());
      if (claims.exp === undefined && o.expiresInSeconds !== null)
        jwt.setExpirationTime(nowSeconds() + (o.expiresInSeconds ?? 300));
      return jwt.sign(key.privateKey);
    },
    svid(o = {}) {
      const now = nowSeconds();
      return provider.sign({
        sub: o.spiffeId ?? 'spiffe://example.org/workload',
        aud: o.audience ?? 'kms',
        iat: now,
        exp: now + (o.ttlSeconds ?? 300),
        ...o.claims,
      });
    },
    async rotate() {
      currentKid = await newKey();
      return currentKid;
    },
    retire(kid) {
      const index = keys.findIndex((k) => k.kid === kid);
      if (index >= 0) keys.splice(index, 1);
    },
    jwks: () => keys.map((k) => k.publicJwk),
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
  return provider;
}
