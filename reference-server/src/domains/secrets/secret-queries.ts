/** Secret queries: the list (with its ETag) and single-secret reads (`GET /api/v3/secrets/raw...`). */
import { createHash } from 'node:crypto';
import type { ServerContext } from '../../context.js';
import { ApiError, badRequest, notFound } from '../../http/errors.js';
import type { TagRecord } from '../../store/records.js';
import { type ImportedSecret, resolveImports } from './import-resolution.js';
import { type Caller, ProjectScope } from './project-scope.js';
import type { SecretMetadataItem } from './secret-crypto.js';
import {
  baseSecretView,
  HIDDEN_SECRET_VALUE,
  listedSecretView,
  metadataForAudit,
  metadataView,
  secretTagsView,
} from './secret-views.js';
import {
  auditedSecret,
  expanderFor,
  listedValue,
  type Location,
  locate,
  readValue,
  type SecretType,
  secretAtVersion,
} from './secret-common.js';

// ---------------------------------------------------------------------------------------------
// List

export interface ListSecretsInput {
  environment?: string | undefined;
  secretPath: string;
  recursive: boolean;
  includeImports: boolean;
  expandSecretReferences: boolean;
  viewSecretValue: boolean;
  tagSlugs: string[];
  metadataFilter: { key: string; value: string }[];
}

/**
 * A checked listing: its ETag is known before anything is read, so the router can answer a matching
 * `If-None-Match` with a 304 before any decryption; `render()` audits the read and returns the body
 * `{ secrets, imports }` serialised (possibly from a sealed copy).
 */
export interface SecretListing {
  etag: string;
  render(): Promise<Buffer>;
}

/**
 * A listing's slot (the project, caller, roles and normalised query) and its ETag (the slot at the
 * project's current content version). It costs no secret read, so a poll with a matching
 * `If-None-Match` is answered before any decryption.
 */
function listingOf(caller: Caller, input: ListSecretsInput): { slot: string; etag: string } {
  const { project, roles } = caller.access;
  const slot = JSON.stringify([project.id, caller.auth.identity.id, [...roles].sort(), input]);
  const etag = `"${createHash('sha256').update(`${slot}|${project.contentVersion}`).digest('base64url')}"`;
  return { slot, etag };
}

const metadataMatches = (metadata: SecretMetadataItem[], filter: { key: string; value: string }[]) =>
  filter.every((f) => metadata.some((m) => m.key === f.key && m.value === f.value));

/** GET /api/v3/secrets/raw: access checks and the folder now, the ETag, then the body on `render()`. */
export async function openListing(
  ctx: ServerContext,
  caller: Caller,
  input: ListSecretsInput,
): Promise<SecretListing> {
  const { access } = caller;
  if (!input.environment) throw badRequest('Missing project id or environment');
  access.assert('read', 'secrets');
  if (input.viewSecretValue) access.assert('readValue', 'secrets');
  const scope = new ProjectScope(ctx, caller);
  const at = await locate(scope, input.environment, input.secretPath, 'SecretPathNotFound');

  const { slot, etag } = listingOf(caller, input);
  return { etag, render: () => renderListing(ctx, caller, scope, at, input, slot, etag) };
}

async function renderListing(
  ctx: ServerContext,
  caller: Caller,
  scope: ProjectScope,
  at: Location,
  input: ListSecretsInput,
  slot: string,
  etag: string,
): Promise<Buffer> {
  const listed = (numberOfSecrets: number) =>
    caller.audit({
      type: 'get-secrets',
      metadata: { environment: at.env.slug, secretPath: at.path, numberOfSecrets },
    });
  // The ETag names the project's content version, the caller, its roles and the query: an identical
  // earlier request produced this very body, so its sealed copy (sealed-listings.ts) is served.
  const sealed = ctx.sealedListings.open(slot, etag);
  if (sealed) {
    await listed(sealed.count);
    return sealed.body;
  }

  const tree = await scope.tree(at.env);
  const folders = input.recursive ? tree.subtree(at.folder) : [at.folder];
  let secrets = (await ctx.store.secrets.listSecrets(folders.map((f) => f.id))).filter(
    (s) => s.type === 'shared',
  );

  const tags = await ctx.store.secrets.listTags(scope.project.id);
  const tagsById = new Map<string, TagRecord>(tags.map((t) => [t.id, t]));
  if (input.tagSlugs.length > 0) {
    const wanted = new Set(tags.filter((t) => input.tagSlugs.includes(t.slug)).map((t) => t.id));
    secrets = secrets.filter((s) => s.tagIds.some((id) => wanted.has(id)));
  }
  if (input.metadataFilter.length > 0) {
    secrets = secrets.filter((s) => metadataMatches(scope.open(s).metadata, input.metadataFilter));
  }

  const expander = input.expandSecretReferences && input.viewSecretValue ? expanderFor(scope) : undefined;
  const items = [];
  for (const secret of secrets) {
    const path = tree.pathOf(secret.folderId);
    const plain = scope.open(secret);
    const value = expander
      ? await listedValue(scope, expander, secret, { envSlug: at.env.slug, path }, input.viewSecretValue)
      : input.viewSecretValue
        ? plain.value
        : HIDDEN_SECRET_VALUE;
    items.push(
      listedSecretView(secret, {
        workspace: scope.project.id,
        envSlug: at.env.slug,
        value,
        comment: plain.comment,
        reminderNote: plain.reminderNote,
        path,
        valueHidden: !input.viewSecretValue,
        metadata: plain.metadata,
        tagsById,
      }),
    );
  }

  const imports = [];
  if (input.includeImports) {
    for (const block of await resolveImports(scope, folders)) {
      // With expansion, each block is first de-duplicated by key (first wins), as upstream.
      const seen = new Set<string>();
      const blockSecrets: ImportedSecret[] = expander
        ? block.secrets.filter((s) => !seen.has(s.secret.key) && seen.add(s.secret.key))
        : block.secrets;
      const shaped = [];
      for (const { secret, env, path } of blockSecrets) {
        const plain = scope.open(secret);
        const value = await listedValue(
          scope,
          expander,
          secret,
          { envSlug: env.slug, path },
          input.viewSecretValue,
        );
        const {
          createdAt: _c,
          updatedAt: _u,
          ...view
        } = baseSecretView(secret, {
          workspace: '',
          envSlug: env.slug,
          value,
          comment: plain.comment,
          reminderNote: plain.reminderNote,
        });
        shaped.push({
          ...view,
          secretValueHidden: !input.viewSecretValue,
          secretMetadata: metadataView(plain.metadata),
        });
      }
      imports.push({
        secretPath: block.secretPath,
        environment: block.env.slug,
        folderId: block.folderId,
        secrets: shaped,
      });
    }
  }

  const body = Buffer.from(JSON.stringify({ secrets: items, imports }));
  ctx.sealedListings.seal(slot, etag, body, items.length);
  await listed(items.length);
  return body;
}

// ---------------------------------------------------------------------------------------------
// Retrieve

export interface GetSecretInput {
  environment?: string | undefined;
  secretPath: string;
  secretName: string;
  type: SecretType;
  version?: number | undefined;
  viewSecretValue: boolean;
  expandSecretReferences: boolean;
  includeImports: boolean;
}

/** GET /api/v3/secrets/raw/:secretName. */
export async function getSecret(ctx: ServerContext, caller: Caller, input: GetSecretInput) {
  const { access } = caller;
  if (!input.environment) throw badRequest('Missing environment');
  access.assert('read', 'secrets');
  if (input.viewSecretValue && !access.can('readValue', 'secrets')) {
    throw new ApiError(
      403,
      'ForbiddenReadSecretError',
      `You do not have permission to view secret value on secret with name '${input.secretName}'`,
    );
  }
  const scope = new ProjectScope(ctx, caller);
  const at = await locate(scope, input.environment, input.secretPath, 'GetSecretByName');
  const notFoundError = () =>
    input.type === 'personal'
      ? notFound(`Personal secret with name '${input.secretName}' not found`)
      : notFound(`Secret with name '${input.secretName}' not found`);

  let found: ImportedSecret | undefined;
  const local = await scope.secret(at.folder, input.secretName, input.type);
  if (local) found = { secret: local, env: at.env, path: at.path };
  else if (input.includeImports && input.type === 'shared' && input.version === undefined) {
    // Local first, then the imports from the last to the first (docs/reference/api.md, decision D5).
    const blocks = await resolveImports(scope, [at.folder]);
    for (const block of blocks.reverse()) {
      found = block.secrets.find((s) => s.secret.key === input.secretName);
      if (found) break;
    }
  }
  if (!found) throw notFoundError();

  let secret = found.secret;
  if (input.version !== undefined && input.version !== secret.version) {
    const old = await ctx.store.secrets.getSecretVersion(secret.id, input.version);
    if (!old) throw notFound(`Version ${input.version} of secret with name '${input.secretName}' not found`);
    secret = secretAtVersion(secret, old);
  }

  const expander = input.expandSecretReferences && input.viewSecretValue ? expanderFor(scope) : undefined;
  const plain = scope.open(secret);
  const value = await readValue(
    scope,
    expander,
    secret,
    { envSlug: found.env.slug, path: found.path },
    input.viewSecretValue,
  );
  const tags = await scope.tags();
  await caller.audit({
    type: 'get-secret',
    metadata: {
      environment: found.env.slug,
      secretPath: found.path,
      ...auditedSecret(secret),
      secretMetadata: metadataForAudit(plain.metadata),
    },
  });
  return {
    secret: {
      ...baseSecretView(secret, {
        workspace: scope.project.id,
        envSlug: found.env.slug,
        value,
        comment: plain.comment,
        reminderNote: plain.reminderNote,
      }),
      secretValueHidden: !input.viewSecretValue,
      secretPath: found.path,
      tags: secretTagsView(secret.tagIds, new Map(tags.map((t) => [t.id, t]))),
      secretMetadata: metadataView(plain.metadata),
    },
  };
}
