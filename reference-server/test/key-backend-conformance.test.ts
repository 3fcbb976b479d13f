// The conformance run of the `kms` key backend (package.json `test:kms-backend`) runs the server's
// suites with KMS_TEST_KEY_BACKEND=kms; this makes sure the servers there really use that backend.
import { expect, it } from 'vitest';
import { startTestServer } from './helpers/test-server.js';

it('test servers use the key backend the run asks for', async () => {
  const kms = await startTestServer();
  try {
    const expected = process.env.KMS_TEST_KEY_BACKEND === 'kms' ? 'kms' : 'local';
    expect(kms.keyBackend.backend).toBe(expected);
    if (expected === 'kms') expect(kms.keyBackend.keyId).toMatch(/^kms:127\.0\.0\.1:\d+\/[0-9a-f-]{36}$/);
    const project = await kms.createProject('conformance');
    expect(project.id).toBeTruthy();
  } finally {
    await kms.close();
  }
});
