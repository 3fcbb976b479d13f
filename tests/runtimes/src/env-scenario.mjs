// `@hanzo/kms-node/env` in a runtime without `node:` modules: a secrets session configured from the
// runtime's own environment API (Bun.env, Deno.env), loading the provisioned secrets through the
// global fetch. Runtime-neutral like sdk-scenario.mjs.

/**
 * Loads the secrets with `createSecretsSession({ env })` and checks every value read back; with
 * `env` undefined, the session's default (`process.env` read by name, see packages/node/src/env-entry.ts).
 *
 * @param envEntry the built `@hanzo/kms-node/env` module
 * @param env the `KMS_*` variables as the runtime's own API returns them, or undefined
 * @param secrets the provisioned secrets, to compare with
 * @returns the name of the check that passed
 */
export async function runEnvScenario(envEntry, env, secrets) {
  const session = envEntry.createSecretsSession(env === undefined ? {} : { env });
  try {
    await session.load();
    for (const [key, value] of Object.entries(secrets))
      if (session.secrets[key] !== value) throw new Error(`check failed: the session reads ${key} back`);
    const printed = JSON.stringify(session.secrets);
    if (Object.values(secrets).some((value) => printed.includes(value)))
      throw new Error('check failed: JSON.stringify of the session secrets shows a value');
  } finally {
    await session.close();
  }
  return [env === undefined ? 'kms-node-env-default' : 'kms-node-env'];
}

/** The `KMS_*` variables a session needs, from the orchestrator's config. */
export function sessionVariables(config) {
  return {
    KMS_SITE_URL: config.url,
    KMS_CLIENT_ID: config.clientId,
    KMS_CLIENT_SECRET: config.clientSecret,
    KMS_PROJECT_ID: config.projectId,
    KMS_ENVIRONMENT: 'dev',
    KMS_SECRET_PATH: '/app',
  };
}
