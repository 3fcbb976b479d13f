// The checks every runtime of the matrix runs against the reference server, with the built
// @hanzo/kms it was handed. Runtime-neutral on purpose: no `node:` module, no `process`, no Buffer;
// only what the SDK itself may use (fetch, timers, globalThis). Each check throws a plain Error
// naming what differed; the caller prints the report as JSON.

/** Fails the scenario with a message that names the check (never a secret value). */
function check(condition, what) {
  if (!condition) throw new Error(`check failed: ${what}`);
}

/** A `logger` that keeps the per-call facts (`kms.cache`, `kms.attempts`) the SDK reports. */
function recordingLogger() {
  const calls = [];
  return {
    calls,
    logger: { debug: (_message, fields) => calls.push(fields) },
    last: (operation) => calls.filter((f) => f.operation === operation).at(-1),
  };
}

/**
 * Runs the matrix's SDK checks.
 *
 * @param sdk the built `@hanzo/kms` module (its namespace object)
 * @param config `{ url, flakyUrl, closedUrl, clientId, clientSecret, projectId, secrets, plaintext }`
 *   from the orchestrator; `flakyUrl` answers 503 to the first secrets list it sees, then forwards
 * @returns the names of the checks that passed, in order
 */
export async function runSdkScenario(sdk, config) {
  const { KmsClient } = sdk;
  const passed = [];
  const auth = { universalAuth: { clientId: config.clientId, clientSecret: config.clientSecret } };
  const where = { projectId: config.projectId, environment: 'dev', secretPath: '/app' };
  const expectedKeys = Object.keys(config.secrets).sort();
  const keysOf = (result) => result.secrets.map((s) => s.secretKey);
  const clients = [];
  const client = (options) => {
    const created = new KmsClient({ siteUrl: config.url, auth, retry: { initialDelay: 20 }, ...options });
    clients.push(created);
    return created;
  };

  try {
    // Universal Auth login.
    const plainLog = recordingLogger();
    const plain = client({ logger: plainLog.logger });
    await plain.auth.universalAuth.login({ clientId: config.clientId, clientSecret: config.clientSecret });
    check(typeof (await plain.auth.getAccessToken()) === 'string', 'login gives an access token');
    passed.push('login');

    // List without a cache: both reads reach the server, values read back.
    const first = await plain.secrets.list(where);
    const again = await plain.secrets.list(where);
    check(
      JSON.stringify(keysOf(first)) === JSON.stringify(expectedKeys),
      'list returns the provisioned keys',
    );
    check(
      JSON.stringify(keysOf(again)) === JSON.stringify(expectedKeys),
      'second list returns the same keys',
    );
    for (const secret of first.secrets)
      check(
        secret.secretValue === config.secrets[secret.secretKey],
        `value of ${secret.secretKey} reads back`,
      );
    const lists = plainLog.calls.filter((f) => f.operation === 'kms.secrets.list');
    check(
      lists.length === 2 && lists.every((f) => f['kms.cache'] === undefined && f['kms.attempts'] === 1),
      'without a cache each list is one request, no cache outcome',
    );
    passed.push('list');

    // A retry after a 503: the flaky proxy refuses the first list once.
    const retryLog = recordingLogger();
    const flaky = client({ siteUrl: config.flakyUrl, logger: retryLog.logger });
    const retried = await flaky.secrets.list(where);
    check(retryLog.last('kms.secrets.list')?.['kms.attempts'] === 2, 'the list took two attempts');
    check(
      JSON.stringify(keysOf(retried)) === JSON.stringify(expectedKeys),
      'the retried list returns the keys',
    );
    passed.push('retry-after-503');

    // List with a cache: a miss, then a hit served from memory.
    const cachedLog = recordingLogger();
    const cached = client({ cache: { ttl: 60_000 }, logger: cachedLog.logger });
    await cached.secrets.list(where);
    check(cachedLog.last('kms.secrets.list')?.['kms.cache'] === 'miss', 'first cached list is a miss');
    const hit = await cached.secrets.list(where);
    check(cachedLog.last('kms.secrets.list')?.['kms.cache'] === 'hit', 'second cached list is a hit');
    check(JSON.stringify(keysOf(hit)) === JSON.stringify(expectedKeys), 'cache hit returns the keys');
    passed.push('list-cached');

    // ETag revalidation: every read asks with If-None-Match and the server answers 304 (through the
    // proxy, which counts the 304s it forwards: the orchestrator checks the wire saw one).
    const etagLog = recordingLogger();
    const revalidating = client({
      siteUrl: config.flakyUrl,
      cache: { revalidate: true },
      logger: etagLog.logger,
    });
    await revalidating.secrets.list(where);
    const revalidated = await revalidating.secrets.list(where);
    check(
      etagLog.last('kms.secrets.list')?.['kms.cache'] === 'revalidated',
      'second read is revalidated (304)',
    );
    check(
      JSON.stringify(keysOf(revalidated)) === JSON.stringify(expectedKeys),
      'revalidated read keeps the keys',
    );
    passed.push('etag-revalidation');

    // KMS encrypt/decrypt round trip, text and bytes.
    const key = await plain.kms.keys.create({ projectId: config.projectId, name: `rt-${Date.now()}` });
    const ciphertext = await plain.kms.encrypt({ keyId: key.id, plaintext: config.plaintext });
    check(
      typeof ciphertext === 'string' && !ciphertext.includes(config.plaintext),
      'ciphertext hides the text',
    );
    check(
      (await plain.kms.decryptString({ keyId: key.id, ciphertext })) === config.plaintext,
      'text round trip',
    );
    const bytes = new Uint8Array([0, 1, 2, 250, 255]);
    const decrypted = await plain.kms.decrypt({
      keyId: key.id,
      ciphertext: await plain.kms.encrypt({ keyId: key.id, plaintext: bytes }),
    });
    check(decrypted instanceof sdk.KmsPlaintext, 'decrypt gives a KmsPlaintext');
    check(decrypted.base64() === 'AAEC+v8=', 'byte round trip');
    passed.push('kms-round-trip');

    // Typed errors: instanceof holds across the bundle, and every class is a static of KmsClient.
    let notFound;
    try {
      await plain.secrets.retrieve({ ...where, secretName: 'NO_SUCH_SECRET' });
    } catch (error) {
      notFound = error;
    }
    check(notFound instanceof sdk.KmsNotFoundError, 'a missing secret is a KmsNotFoundError');
    check(
      notFound instanceof sdk.KmsApiError && notFound instanceof sdk.KmsError,
      'it extends KmsApiError, KmsError',
    );
    check(notFound instanceof Error && notFound.status === 404, 'it is an Error with status 404');
    check(
      KmsClient.KmsNotFoundError === sdk.KmsNotFoundError,
      'KmsClient.KmsNotFoundError is the same class',
    );
    let invalid;
    try {
      await plain.secrets.list({ ...where, environment: '' });
    } catch (error) {
      invalid = error;
    }
    check(
      invalid instanceof sdk.KmsValidationError && invalid.field === 'environment',
      'bad input names the field',
    );
    let unreachable;
    try {
      await new KmsClient({ siteUrl: config.closedUrl, auth, retry: { maxRetries: 0 } }).secrets.list(where);
    } catch (error) {
      unreachable = error;
    }
    check(unreachable instanceof sdk.KmsConnectionError, 'a closed port is a KmsConnectionError');
    passed.push('typed-errors');

    // Redaction: nothing secret in JSON.stringify of a client, a secret, a plaintext or an error.
    const token = await plain.auth.getAccessToken();
    const printed = [
      JSON.stringify(plain),
      JSON.stringify(first.secrets),
      JSON.stringify(first),
      JSON.stringify(decrypted),
      JSON.stringify(notFound),
      String(notFound.message),
    ].join('\n');
    const sensitive = [config.clientSecret, token, config.plaintext, ...Object.values(config.secrets)];
    check(
      sensitive.every((value) => !printed.includes(value)),
      'JSON.stringify shows no secret, token or plaintext',
    );
    check(printed.includes('[REDACTED]'), 'redacted fields print [REDACTED]');
    passed.push('redaction');
  } finally {
    await Promise.allSettled(clients.map((c) => c.close()));
  }
  return passed;
}
