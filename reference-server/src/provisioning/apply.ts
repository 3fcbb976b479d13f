/**
 * `kms-server apply`: makes a running server hold what a file describes, over the server's own API
 * (so every change is authorized and audited like an operator's). Idempotent: it reads first and
 * changes only what differs; it never deletes. With `dryRun` it reads and reports, and writes nothing.
 */
import {
  type AppConnectionSpec,
  type ApplyFile,
  DEFAULT_ENVIRONMENTS,
  type EnvLookup,
  type IdentitySpec,
  type ProjectSpec,
  type SecretRotationSpec,
  type ValueSource,
} from './apply-file.js';
import { jwtAuthConfigSchema, oidcAuthConfigSchema } from '../auth/external-jwt-auth-router.js';
import { universalAuthConfigSchema } from '../auth/universal-auth-router.js';
import type { ApiAnswer } from './api-client.js';

/** What apply needs of the API (an {@link ApiClient}, or nothing-exists-yet for a dry run before bootstrap). */
export interface ApplyApi {
  request<T>(method: string, path: string, body?: unknown): Promise<ApiAnswer<T>>;
  call<T>(method: string, path: string, body?: unknown): Promise<T>;
  find<T>(path: string): Promise<T | undefined>;
}

/**
 * The API of a server that holds nothing yet (not bootstrapped): every lookup finds nothing, so a
 * dry run lists the whole file as creates. Writes never reach it (dry runs do not write).
 */
export const emptyServerApi: ApplyApi = {
  request: async <T>() => ({ status: 404, body: undefined as T }),
  call: async <_T>() => {
    throw new Error('a dry run against a server that is not bootstrapped reads nothing');
  },
  find: async () => undefined,
};

const SETTINGS_SCHEMAS = {
  'universal-auth': universalAuthConfigSchema,
  'oidc-auth': oidcAuthConfigSchema,
  'jwt-auth': jwtAuthConfigSchema,
} as const;

/** One change, as printed: `+` create, `~` update. Never holds a secret value. */
export interface PlannedChange {
  kind: '+' | '~';
  what: string;
}

/**
 * What a client needs to log in as an identity this run set up: a Universal Auth client id and secret
 * (printed once; nothing keeps the secret), or the identity id an OIDC or JWT Auth login names.
 */
export type CreatedCredential =
  | { identity: string; clientId: string; clientSecret: string }
  | { identity: string; identityId: string };

export interface ApplyResult {
  changes: PlannedChange[];
  credentials: CreatedCredential[];
  /** The admin token minted by a bootstrap this run performed. */
  adminToken?: string;
}

interface Project {
  id: string;
  slug: string;
  name: string;
  description: string | null;
  orgId: string;
  environments: { id: string; slug: string; name: string }[];
}

/** The fields of a rotation apply compares. */
interface RotationView {
  id: string;
  connectionId: string;
  description: string | null;
  parameters: Record<string, string>;
  secretsMapping: Record<string, string>;
  rotationInterval: number;
  rotateAtUtc: { hours: number; minutes: number };
  isAutoRotationEnabled: boolean;
}

/** A client secret as the API lists it (never the secret itself). */
interface ClientSecretData {
  id: string;
  description: string;
  isClientSecretRevoked: boolean;
}

interface Secret {
  secretKey: string;
  secretValue: string;
  secretComment: string;
  tags?: { slug: string }[];
}

const q = (params: Record<string, string>) => `?${new URLSearchParams(params)}`;

/**
 * Applies `file` through `api` (authenticated as an admin of the organization). Creates in order:
 * app connections, projects, environments, tags, folders, secrets, imports, secret rotations,
 * identities, auth methods, memberships.
 */
export async function applyFile(
  api: ApplyApi,
  file: ApplyFile,
  options: { dryRun: boolean; env: EnvLookup; orgId: string },
): Promise<ApplyResult> {
  const changes: PlannedChange[] = [];
  const credentials: CreatedCredential[] = [];
  const change = (kind: '+' | '~', what: string) => changes.push({ kind, what });
  const write = async <T>(run: () => Promise<T>): Promise<T | undefined> =>
    options.dryRun ? undefined : run();
  const read = (source: ValueSource) =>
    typeof source === 'string' ? source : (options.env(source.fromEnv) as string);

  /** App connection ids by name (undefined: created by this dry run). */
  const connectionIds = new Map<string, string | undefined>();
  for (const spec of file.appConnections) connectionIds.set(spec.name, await applyConnection(spec));

  const projects = new Map<string, Project | undefined>();
  for (const spec of file.projects) projects.set(spec.slug, await applyProject(spec));

  for (const spec of file.identities) await applyIdentity(spec);
  return { changes, credentials };

  /**
   * The client secrets an identity lists, by description: missing ones created (each printed once, as
   * a credential of this run), listed revocations done. Existing secrets are only counted, never shown.
   * With a first attach in a dry run there is nothing to read: every wanted secret is planned.
   */
  async function applyClientSecrets(spec: IdentitySpec, identityId: string | undefined, clientId: string) {
    const base = `/api/v1/auth/universal-auth/identities/${identityId}/client-secrets`;
    const existing = identityId
      ? ((await api.find<{ clientSecretData: ClientSecretData[] }>(base))?.clientSecretData ?? [])
      : [];
    const active = existing.filter((c) => !c.isClientSecretRevoked);
    for (const { description } of spec.clientSecrets ?? []) {
      if (active.some((c) => c.description === description)) continue;
      change('+', `client secret "${description}" for identity ${spec.name}`);
      if (options.dryRun || !identityId) continue;
      const { clientSecret } = await api.call<{ clientSecret: string }>('POST', base, { description });
      credentials.push({ identity: spec.name, clientId, clientSecret });
    }
    for (const description of spec.revokeClientSecrets ?? []) {
      for (const secret of active.filter((c) => c.description === description)) {
        change('~', `client secret "${description}" of identity ${spec.name} revoked (and its tokens)`);
        await write(() => api.call('POST', `${base}/${secret.id}/revoke`));
      }
    }
  }

  async function applyProject(spec: ProjectSpec): Promise<Project | undefined> {
    const name = spec.name ?? spec.slug;
    let project = await api.find<Project>(`/api/v2/workspace/${spec.slug}`);
    if (!project) {
      change('+', `project ${spec.slug}`);
      project = await write(async () => {
        const created = await api.call<{ project: Project }>('POST', '/api/v2/workspace', {
          projectName: name,
          slug: spec.slug,
          ...(spec.description !== undefined ? { description: spec.description } : {}),
        });
        return created.project;
      });
    } else if (
      (spec.name !== undefined && project.name !== spec.name) ||
      (spec.description !== undefined && (project.description ?? '') !== spec.description)
    ) {
      change(
        '~',
        `project ${spec.slug} (${[spec.name !== undefined && project.name !== spec.name ? 'name' : '', spec.description !== undefined && (project.description ?? '') !== spec.description ? 'description' : ''].filter(Boolean).join(', ')})`,
      );
      const id = project.id;
      await write(() =>
        api.call('PATCH', `/api/v1/projects/${id}`, {
          ...(spec.name !== undefined ? { name: spec.name } : {}),
          ...(spec.description !== undefined ? { description: spec.description } : {}),
        }),
      );
    }
    // In a dry run a project that does not exist yet is all creates below it: nothing to read.
    const envSlugs = new Set(
      project?.environments.map((e) => e.slug) ?? (spec.environments ? [] : DEFAULT_ENVIRONMENTS),
    );
    for (const env of spec.environments ?? []) {
      const slug = typeof env === 'string' ? env : env.slug;
      if (envSlugs.has(slug)) continue;
      change('+', `environment ${spec.slug}/${slug}`);
      envSlugs.add(slug);
      const id = project?.id;
      if (id)
        await write(() =>
          api.call('POST', `/api/v1/workspace/${id}/environments`, {
            name: typeof env === 'string' ? env : env.name,
            slug,
          }),
        );
    }
    if (project && !options.dryRun)
      project = await api.call<Project>('GET', `/api/v2/workspace/${spec.slug}`);

    const tags = project
      ? (
          await api.call<{ workspaceTags: { id: string; slug: string; color: string }[] }>(
            'GET',
            `/api/v1/workspace/${project.id}/tags`,
          )
        ).workspaceTags
      : [];
    for (const tag of spec.tags ?? []) {
      const existing = tags.find((t) => t.slug === tag.slug);
      const color = tag.color ?? existing?.color ?? '#9e9e9e';
      if (!existing) {
        change('+', `tag ${spec.slug}/${tag.slug}`);
        const id = project?.id;
        if (id)
          await write(() => api.call('POST', `/api/v1/workspace/${id}/tags`, { slug: tag.slug, color }));
      } else if (tag.color !== undefined && existing.color !== tag.color) {
        change('~', `tag ${spec.slug}/${tag.slug} (color)`);
        const id = project?.id;
        if (id)
          await write(() =>
            api.call('PATCH', `/api/v1/workspace/${id}/tags/${existing.id}`, {
              slug: tag.slug,
              color: tag.color,
            }),
          );
      }
    }

    const folderPaths = [
      ...(spec.folders ?? []),
      ...(spec.secrets ?? []).map((s) => ({ environment: s.environment, path: s.path })),
      ...(spec.imports ?? []).flatMap((i) => [{ environment: i.environment, path: i.path }, i.from]),
    ];
    const ensured = new Set<string>();
    for (const folder of folderPaths)
      await ensureFolder(spec.slug, project, folder.environment, folder.path, ensured);

    for (const entry of spec.secrets ?? []) {
      const where = `${spec.slug}/${entry.environment}:${entry.path}`;
      const current =
        project && !ensured.has(`${entry.environment}:${entry.path}:new`)
          ? await listSecrets(project.id, entry.environment, entry.path)
          : [];
      const creates: Record<string, unknown>[] = [];
      const updates: Record<string, unknown>[] = [];
      for (const [key, value] of Object.entries(entry.values)) {
        const wanted = typeof value === 'object' && 'value' in value ? value : { value };
        const plain = read(wanted.value as ValueSource);
        const existing = current.find((s) => s.secretKey === key);
        const body = {
          secretKey: key,
          secretValue: plain,
          ...(wanted.comment !== undefined ? { secretComment: wanted.comment } : {}),
          ...(wanted.tags !== undefined ? { tagIds: wanted.tags } : {}),
        };
        if (!existing) {
          change('+', `secret ${where} ${key}`);
          creates.push(body);
          continue;
        }
        const differs = [
          existing.secretValue !== plain ? 'value' : '',
          wanted.comment !== undefined && existing.secretComment !== wanted.comment ? 'comment' : '',
          wanted.tags !== undefined &&
          [...(existing.tags ?? []).map((t) => t.slug)].sort().join(',') !== [...wanted.tags].sort().join(',')
            ? 'tags'
            : '',
        ].filter(Boolean);
        if (differs.length) {
          change('~', `secret ${where} ${key} (${differs.join(', ')})`);
          updates.push(body);
        }
      }
      const id = project?.id;
      if (!id) continue;
      const tagIds = async (bodies: Record<string, unknown>[]) => {
        // The API takes tag ids; the file names tags by slug.
        const all = (
          await api.call<{ workspaceTags: { id: string; slug: string }[] }>(
            'GET',
            `/api/v1/workspace/${id}/tags`,
          )
        ).workspaceTags;
        return bodies.map((b) =>
          b.tagIds
            ? {
                ...b,
                tagIds: (b.tagIds as string[]).map((slug) => all.find((t) => t.slug === slug)?.id ?? slug),
              }
            : b,
        );
      };
      const location = { workspaceId: id, environment: entry.environment, secretPath: entry.path };
      if (creates.length)
        await write(async () =>
          api.call('POST', '/api/v3/secrets/batch/raw', { ...location, secrets: await tagIds(creates) }),
        );
      if (updates.length)
        await write(async () =>
          api.call('PATCH', '/api/v3/secrets/batch/raw', { ...location, secrets: await tagIds(updates) }),
        );
    }

    for (const imp of spec.imports ?? []) {
      const where = `${spec.slug}/${imp.environment}:${imp.path} ← ${imp.from.environment}:${imp.from.path}`;
      const id = project?.id;
      const existing = id
        ? (
            await api.call<{ secretImports: { importEnv: { slug: string }; importPath: string }[] }>(
              'GET',
              `/api/v2/secret-imports${q({ projectId: id, environment: imp.environment, path: imp.path })}`,
            )
          ).secretImports
        : [];
      if (existing.some((e) => e.importEnv.slug === imp.from.environment && e.importPath === imp.from.path))
        continue;
      change('+', `import ${where}`);
      if (id)
        await write(() =>
          api.call('POST', '/api/v2/secret-imports', {
            projectId: id,
            environment: imp.environment,
            path: imp.path,
            import: { environment: imp.from.environment, path: imp.from.path },
          }),
        );
    }
    for (const rotation of spec.secretRotations ?? []) await applyRotation(spec.slug, project, rotation);
    return project;
  }

  /**
   * Creates the connection, or updates it when a shown field differs (the password is never answered,
   * so a changed password alone is not seen: PATCH the connection to change only that).
   */
  async function applyConnection(spec: AppConnectionSpec): Promise<string | undefined> {
    const base = `/api/v1/app-connections/${spec.app}`;
    const { password, ...shown } = spec.credentials;
    const credentials = { ...shown, password: read(password) };
    const existing = await api.find<{
      appConnection: { id: string; description: string | null; credentials: Record<string, unknown> };
    }>(`${base}/connection-name/${spec.name}`);
    if (!existing) {
      change('+', `app connection ${spec.name}`);
      return write(async () => {
        const created = await api.call<{ appConnection: { id: string } }>('POST', base, {
          name: spec.name,
          method: 'username-and-password',
          credentials,
          ...(spec.description !== undefined ? { description: spec.description } : {}),
        });
        return created.appConnection.id;
      });
    }
    const { id, credentials: current } = existing.appConnection;
    const differs = Object.entries(shown)
      .filter(([k, v]) => JSON.stringify(current[k]) !== JSON.stringify(v))
      .map(([k]) => k);
    if (spec.description !== undefined && (existing.appConnection.description ?? '') !== spec.description)
      differs.push('description');
    if (differs.length) {
      change('~', `app connection ${spec.name} (${differs.join(', ')})`);
      await write(() =>
        api.call('PATCH', `${base}/${id}`, {
          credentials,
          ...(spec.description !== undefined ? { description: spec.description } : {}),
        }),
      );
    }
    return id;
  }

  /**
   * Creates the rotation (it issues the first credentials and writes the mapped secrets), or updates
   * its schedule. What a rotation rotates (connection, users, mapping) cannot change: that is an error.
   */
  async function applyRotation(slug: string, project: Project | undefined, spec: SecretRotationSpec) {
    const base = `/api/v2/secret-rotations/${spec.type}`;
    const where = `${slug}/${spec.environment}:${spec.path} ${spec.name}`;
    const existing = project
      ? await api.find<{ secretRotation: RotationView }>(
          `${base}/rotation-name/${spec.name}${q({ projectId: project.id, environment: spec.environment, secretPath: spec.path })}`,
        )
      : undefined;
    let connectionId = connectionIds.get(spec.connection);
    if (!connectionIds.has(spec.connection)) {
      const found = await api.find<{ appConnection: { id: string } }>(
        `/api/v1/app-connections/postgres/connection-name/${spec.connection}`,
      );
      if (!found)
        throw new Error(
          `secretRotations: ${where}: app connection ${spec.connection} does not exist and is not in the file`,
        );
      connectionId = found.appConnection.id;
    }
    if (!existing) {
      change(
        '+',
        `secret rotation ${where} (writes ${spec.secretsMapping.username}, ${spec.secretsMapping.password})`,
      );
      const projectId = project?.id;
      if (projectId && connectionId)
        await write(() =>
          api.call('POST', base, {
            name: spec.name,
            projectId,
            connectionId,
            environment: spec.environment,
            secretPath: spec.path,
            rotationInterval: spec.rotationInterval,
            parameters: spec.parameters,
            secretsMapping: spec.secretsMapping,
            ...(spec.description !== undefined ? { description: spec.description } : {}),
            ...(spec.rotateAtUtc ? { rotateAtUtc: spec.rotateAtUtc } : {}),
            ...(spec.isAutoRotationEnabled !== undefined
              ? { isAutoRotationEnabled: spec.isAutoRotationEnabled }
              : {}),
          }),
        );
      return;
    }
    const current = existing.secretRotation;
    const fixed = [
      current.connectionId !== connectionId ? 'connection' : '',
      JSON.stringify(current.parameters) !== JSON.stringify(spec.parameters) ? 'parameters' : '',
      JSON.stringify(current.secretsMapping) !== JSON.stringify(spec.secretsMapping) ? 'secretsMapping' : '',
    ].filter(Boolean);
    if (fixed.length)
      throw new Error(
        `secretRotations: ${where}: ${fixed.join(', ')} of an existing rotation cannot change; delete the rotation first`,
      );
    const update: Record<string, unknown> = {};
    if (current.rotationInterval !== spec.rotationInterval) update.rotationInterval = spec.rotationInterval;
    if (spec.rotateAtUtc && JSON.stringify(current.rotateAtUtc) !== JSON.stringify(spec.rotateAtUtc))
      update.rotateAtUtc = spec.rotateAtUtc;
    if (
      spec.isAutoRotationEnabled !== undefined &&
      current.isAutoRotationEnabled !== spec.isAutoRotationEnabled
    )
      update.isAutoRotationEnabled = spec.isAutoRotationEnabled;
    if (spec.description !== undefined && (current.description ?? '') !== spec.description)
      update.description = spec.description;
    if (Object.keys(update).length) {
      change('~', `secret rotation ${where} (${Object.keys(update).join(', ')})`);
      await write(() => api.call('PATCH', `${base}/${current.id}`, update));
    }
  }

  async function listSecrets(projectId: string, environment: string, secretPath: string): Promise<Secret[]> {
    const answer = await api.request<{ secrets: Secret[] }>(
      'GET',
      `/api/v3/secrets/raw${q({ workspaceId: projectId, environment, secretPath, include_imports: 'false' })}`,
    );
    if (answer.status === 404) return [];
    if (answer.status >= 400) throw answer.body;
    return answer.body.secrets;
  }

  /** Creates each missing folder of `path`, parents first. */
  async function ensureFolder(
    slug: string,
    project: Project | undefined,
    environment: string,
    path: string,
    ensured: Set<string>,
  ) {
    let parent = '/';
    for (const name of path.split('/').filter(Boolean)) {
      const here = `${parent === '/' ? '' : parent}/${name}`;
      const key = `${environment}:${here}`;
      if (!ensured.has(key)) {
        ensured.add(key);
        const parentIsNew = ensured.has(`${environment}:${parent}:new`);
        const folders =
          project && !parentIsNew
            ? (
                await api.call<{ folders: { name: string }[] }>(
                  'GET',
                  `/api/v1/folders${q({ workspaceId: project.id, environment, path: parent })}`,
                )
              ).folders
            : [];
        if (!folders.some((f) => f.name === name)) {
          change('+', `folder ${slug}/${environment}:${here}`);
          ensured.add(`${key}:new`);
          const id = project?.id;
          if (id)
            await write(() =>
              api.call('POST', '/api/v1/folders', { workspaceId: id, environment, path: parent, name }),
            );
        }
      }
      parent = here;
    }
  }

  async function applyIdentity(spec: IdentitySpec) {
    const { identities } =
      api === emptyServerApi
        ? { identities: [] }
        : await api.call<{
            identities: { identity: { id: string; name: string; authMethods: string[] }; role: string }[];
          }>('GET', `/api/v1/identities${q({ orgId: options.orgId })}`);
    const found = identities.find((i) => i.identity.name === spec.name);
    let id = found?.identity.id;
    if (!found) {
      change('+', `identity ${spec.name} (org role ${spec.orgRole})`);
      id = await write(
        async () =>
          (
            await api.call<{ identity: { id: string } }>('POST', '/api/v1/identities', {
              name: spec.name,
              organizationId: options.orgId,
              role: spec.orgRole,
            })
          ).identity.id,
      );
    } else if (found.role !== spec.orgRole) {
      change('~', `identity ${spec.name} (org role ${found.role} → ${spec.orgRole})`);
      await write(() => api.call('PATCH', `/api/v1/identities/${found.identity.id}`, { role: spec.orgRole }));
    }

    const methods = [
      ['universal-auth', spec.universalAuth, 'identityUniversalAuth'],
      ['oidc-auth', spec.oidcAuth, 'identityOidcAuth'],
      ['jwt-auth', spec.jwtAuth, 'identityJwtAuth'],
    ] as const;
    for (const [method, config, field] of methods) {
      if (!config) continue;
      const base = `/api/v1/auth/${method}/identities`;
      // The identity's `authMethods` say what is attached: reading a method that is not answers 400
      // or 404 depending on the method, as upstream (docs/reference/api.md#authentication).
      const attached =
        id && found?.identity.authMethods.includes(method)
          ? await api.call<Record<string, Record<string, unknown>>>('GET', `${base}/${id}`)
          : undefined;
      if (!attached) {
        change(
          '+',
          `${method} for identity ${spec.name}${method === 'universal-auth' ? ' (and a client secret)' : ''}`,
        );
        if (options.dryRun || !id) continue;
        const created = await api.call<Record<string, { clientId?: string }>>(
          'POST',
          `${base}/${id}`,
          config,
        );
        if (method === 'universal-auth') {
          const clientId = created[field]?.clientId as string;
          if (spec.clientSecrets) await applyClientSecrets(spec, id, clientId);
          else {
            const { clientSecret } = await api.call<{ clientSecret: string }>(
              'POST',
              `${base}/${id}/client-secrets`,
              { description: 'kms-server apply' },
            );
            credentials.push({ identity: spec.name, clientId, clientSecret });
          }
        } else if (!credentials.some((c) => c.identity === spec.name && 'identityId' in c)) {
          credentials.push({ identity: spec.name, identityId: id });
        }
        continue;
      }
      const current = attached[field] ?? {};
      // Compared as the API stores them (parsed by its own schema), so a second run finds no change.
      const wanted = SETTINGS_SCHEMAS[method].parse(config) as Record<string, unknown>;
      const differs = Object.keys(config)
        .filter((k) => JSON.stringify(current[k]) !== JSON.stringify(wanted[k]))
        .map((k) => k);
      if (differs.length) {
        change('~', `${method} for identity ${spec.name} (${differs.join(', ')})`);
        await write(() => api.call('PATCH', `${base}/${id}`, config));
      }
      if (method === 'universal-auth' && id) await applyClientSecrets(spec, id, current.clientId as string);
    }

    for (const membership of spec.projects ?? []) {
      const project =
        projects.get(membership.project) ??
        (await api.find<Project>(`/api/v2/workspace/${membership.project}`));
      const planned = projects.has(membership.project);
      if (!project && !(planned && options.dryRun))
        throw new Error(
          `identities: ${spec.name}: project ${membership.project} does not exist and is not in the file`,
        );
      const current =
        project && id
          ? await api.find<{ identityMembership: { roles: { role: string }[] } }>(
              `/api/v2/workspace/${project.id}/identity-memberships/${id}`,
            )
          : undefined;
      const what = `membership ${spec.name} → ${membership.project} (${membership.role})`;
      if (!current) {
        change('+', what);
        if (project && id)
          await write(() =>
            api.call('POST', `/api/v2/workspace/${project.id}/identity-memberships/${id}`, {
              roles: [{ role: membership.role, isTemporary: false }],
            }),
          );
      } else {
        const roles = current.identityMembership.roles.map((r) => r.role);
        if (roles.length !== 1 || roles[0] !== membership.role) {
          change(
            '~',
            `membership ${spec.name} → ${membership.project} (${roles.join(', ')} → ${membership.role})`,
          );
          if (project && id)
            await write(() =>
              api.call('PATCH', `/api/v2/workspace/${project.id}/identity-memberships/${id}`, {
                roles: [{ role: membership.role, isTemporary: false }],
              }),
            );
        }
      }
    }
  }
}
