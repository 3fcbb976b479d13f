/**
 * `kms-server apply <file> [--url] [--dry-run]`: reads the file, checks all of it, bootstraps the
 * server if the file says how and the server is new, then applies (or, dry, plans) the changes.
 */
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { bootstrapPasswordProblem } from '../domains/admin/bootstrap-password.js';
import { bootstrapPassword, readApplyFile } from './apply-file.js';
import { type ApplyApi, applyFile, emptyServerApi } from './apply.js';
import { ApiCallError, ApiClient } from './api-client.js';

export interface ApplyCommandInput {
  file: string;
  url: string;
  dryRun: boolean;
  env: NodeJS.ProcessEnv;
  out: (line: string) => void;
  err: (line: string) => void;
}

/** Runs the command; returns the exit code (0 done, 1 refused or failed; nothing partial is hidden). */
export async function runApply(input: ApplyCommandInput): Promise<number> {
  const { out, err, env } = input;
  const name = basename(input.file);
  let text: string;
  try {
    text = readFileSync(input.file, 'utf8');
  } catch (error) {
    err(
      `kms-server apply: cannot read ${input.file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`,
    );
    return 1;
  }
  const adminTokenGiven = Boolean(env.KMS_ADMIN_TOKEN?.trim());
  const read = readApplyFile(text, input.file, (v) => env[v], !adminTokenGiven);
  if (!read.file) {
    err(
      `kms-server apply: ${name} has ${read.problems.length} problem${read.problems.length > 1 ? 's' : ''}; nothing was changed:`,
    );
    for (const p of read.problems) err(`  ${p.path}: ${p.message}`);
    return 1;
  }
  const file = read.file;
  const siteUrl = input.url.replace(/\/+$/, '').replace(/\/api$/, '');
  const api = new ApiClient(siteUrl, env.KMS_ADMIN_TOKEN?.trim() || undefined);

  let adminToken: string | undefined;
  let orgId: string;
  let target: ApplyApi = api;
  try {
    const config = await api.call<{ config: { initialized: boolean } }>('GET', '/api/v1/admin/config');
    const lines: string[] = [];
    if (!config.config.initialized) {
      if (!file.bootstrap) {
        err(
          `kms-server apply: ${siteUrl} is not bootstrapped yet: add a "bootstrap" section (email, password, organization) to ${name}, or run kms-server bootstrap first`,
        );
        return 1;
      }
      lines.push(`  + bootstrap: organization ${file.bootstrap.organization}, admin ${file.bootstrap.email}`);
      if (input.dryRun) {
        target = emptyServerApi;
        orgId = '(new)';
      } else {
        // With KMS_ADMIN_TOKEN the file's bootstrap was not checked: check it now that it is needed.
        const password = bootstrapPassword(file.bootstrap.password, (v) => env[v]);
        const problem =
          password === undefined
            ? `environment variable ${(file.bootstrap.password as { fromEnv: string }).fromEnv} is not set`
            : bootstrapPasswordProblem(password);
        if (password === undefined || problem) {
          err(`kms-server apply: ${name}: bootstrap.password: ${problem}; nothing was changed`);
          return 1;
        }
        const boot = await api.call<{
          organization: { id: string };
          identity: { credentials: { token: string } };
        }>('POST', '/api/v1/admin/bootstrap', {
          email: file.bootstrap.email,
          password,
          organization: file.bootstrap.organization,
        });
        adminToken = boot.identity.credentials.token;
        api.useToken(adminToken);
        orgId = boot.organization.id;
      }
    } else {
      if (!env.KMS_ADMIN_TOKEN?.trim()) {
        err(
          `kms-server apply: ${siteUrl} is already bootstrapped: set KMS_ADMIN_TOKEN to an admin token (the one bootstrap printed, or one from kms-server dev)`,
        );
        return 1;
      }
      const details = await api.call<{ identityDetails: { organization: { id: string } } }>(
        'GET',
        '/api/v1/identities/details',
      );
      orgId = details.identityDetails.organization.id;
    }
    out(`kms-server apply: ${name} → ${siteUrl}${input.dryRun ? ' (dry run)' : ''}`);
    for (const line of lines) out(line);
    const result = await applyFile(target, file, { dryRun: input.dryRun, env: (v) => env[v], orgId });
    for (const c of result.changes) out(`  ${c.kind} ${c.what}`);
    const count = result.changes.length + lines.length;
    out(
      count === 0
        ? `no changes: the server already matches ${name}`
        : input.dryRun
          ? `dry run: ${count} change${count > 1 ? 's' : ''} planned, nothing applied`
          : `applied ${count} change${count > 1 ? 's' : ''}`,
    );
    if (adminToken || result.credentials.length) {
      out('');
      out('Created now, shown once (nothing keeps them; store them in your secret store):');
      if (adminToken) out(`  admin token: KMS_ADMIN_TOKEN=${adminToken}`);
      for (const c of result.credentials)
        out(
          'clientSecret' in c
            ? `  identity ${c.identity}: KMS_CLIENT_ID=${c.clientId} KMS_CLIENT_SECRET=${c.clientSecret}`
            : `  identity ${c.identity}: KMS_IDENTITY_ID=${c.identityId} (OIDC / JWT Auth logins name it)`,
        );
    }
    return 0;
  } catch (error) {
    if (error instanceof ApiCallError) {
      const hint =
        error.status === 401 || error.status === 403
          ? ' (KMS_ADMIN_TOKEN must be a valid token of an organization admin)'
          : '';
      err(
        `kms-server apply: the server refused ${error.method} ${error.path.split('?')[0]}: ${error.status} ${error.apiMessage}${hint}`,
      );
      err(
        'kms-server apply: changes before this one were applied; fix the cause and run apply again (it skips what is done)',
      );
      return 1;
    }
    // fetch() rejects with "fetch failed" and the network error as its cause.
    const cause = (error as { cause?: { code?: string; message?: string } }).cause;
    err(
      error instanceof TypeError && cause
        ? `kms-server apply: cannot reach ${siteUrl} (${cause.code ?? cause.message}): is the server running? (--url or KMS_API_URL)`
        : `kms-server apply: ${(error as Error).message}`,
    );
    return 1;
  }
}
