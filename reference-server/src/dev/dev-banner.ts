/**
 * What `kms-server dev` prints on start: the URL and the credentials a developer needs, as shell
 * words. Dev mode only.
 */
import type { DevInstance } from './provision-demo.js';

/** A word as a POSIX shell reads it back unchanged: bare when it is safe, else single-quoted. */
export function shellWord(value: string): string {
  return /^[\w@%+=:,./-]+$/.test(value) ? value : `'${value.replaceAll("'", `'\\''`)}'`;
}

/**
 * What `kms-server dev` prints once it is ready. Every command under "Try it" is complete, with the real
 * values, so each line works pasted on its own. `kmsCommand` is how this machine runs the `kms` CLI:
 * `kms` where @hanzo/kms-node is installed, scripts/kms from a clone of this repository
 * (the root package.json's dev script says so through KMS_DEV_KMS_COMMAND).
 */
export function devBanner(d: DevInstance, kmsCommand: string): string {
  const identity: [string, string][] = [
    ['KMS_SITE_URL', d.siteUrl],
    ['KMS_CLIENT_ID', d.clientId],
    ['KMS_CLIENT_SECRET', d.clientSecret],
    ['KMS_PROJECT_SLUG', d.projectSlug],
    ['KMS_ENVIRONMENT', 'dev'],
    ['KMS_SECRET_PATH', '/app'],
  ];
  const assignments = identity.map(([name, value]) => `${name}=${shellWord(value)}`);
  const login = `curl -s -X POST ${shellWord(`${d.siteUrl}/api/v1/auth/universal-auth/login`)} -H 'content-type: application/json' -d ${shellWord(JSON.stringify({ clientId: d.clientId, clientSecret: d.clientSecret }))}`;
  // sed, not jq or node: the line must work in any shell with curl.
  const token = `$(${login} | sed -E 's/.*"accessToken":"([^"]+)".*/\\1/')`;
  const list = `${d.siteUrl}/api/v3/secrets/raw?workspaceSlug=${d.projectSlug}&environment=dev&secretPath=/app`;
  const kms = `${assignments.join(' ')} ${kmsCommand}`;
  return [
    '',
    'Hanzo KMS reference server (dev mode) is ready.',
    '',
    `  Site URL        ${d.siteUrl}`,
    `  Admin token     ${d.adminToken}`,
    `  Organization    ${d.organizationId}`,
    `  Demo project    ${d.projectSlug} (${d.projectId}); environments dev, staging, prod; folders /app, /billing`,
    '  Viewer identity (Universal Auth), as dotenv lines:',
    ...assignments.map((line) => `    ${line}`),
    '',
    '  Try it from another terminal (each line is a whole command):',
    `    curl -s '${list}' -H "authorization: Bearer ${token}"`,
    `    ${kms} run -- printenv GREETING`,
    `    ${kms} export --format dotenv`,
    '  Your app, from its folder (the demo secrets in its process.env):',
    `    ${kms} run -- node app.js`,
    '',
    'Dev credentials are printed once per start and kept only in memory. Ctrl-C stops the server.',
    '',
  ].join('\n');
}
