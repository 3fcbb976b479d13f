/** App connections: an organization's credentials for outside systems, sealed and never answered. */
import { randomUUID } from 'node:crypto';
import type { AuditEvent } from '../../audit/audit-log.js';
import type { AuthContext, ServerContext } from '../../context.js';
import { badRequest, notFound, permissionDenied } from '../../http/errors.js';
import type { AppConnectionRecord } from '../../store/records.js';
import { StoreConflictError } from '../../store/contract.js';
import { openCredentials, sealCredentials } from './connection-crypto.js';
import {
  checkPostgresCredentials,
  POSTGRES_APP,
  type PostgresCredentials,
  sanitizedCredentials,
  type USERNAME_AND_PASSWORD,
} from './postgres-connection.js';

/** Who uses a connection: an identity of an organization, with its org role. */
export type ConnectionUser = Pick<AuthContext, 'identity' | 'orgId'>;

/** The caller of an organization-level service call. */
export interface OrgCaller {
  auth: AuthContext;
  /** Records an audit event for the caller's organization. */
  audit(event: Omit<AuditEvent, 'orgId' | 'projectId' | 'projectName'>): Promise<unknown>;
}

/**
 * Upstream's organization rights on app connections: an org admin reads, creates, edits and
 * deletes them; an org member may only use (`connect`) them, e.g. in a secret rotation.
 */
export type AppConnectionAction = 'read' | 'create' | 'edit' | 'delete' | 'connect';

/** Throws the contract's 403 unless the caller's organization role allows the action. */
export function assertAppConnectionRight(auth: ConnectionUser, action: AppConnectionAction): void {
  const role = auth.identity.orgRole;
  if (role === 'admin' || (action === 'connect' && role === 'member')) return;
  throw permissionDenied(action, 'app-connections');
}

/** A connection as the API answers it: the credentials without their password. */
export function appConnectionView(connection: AppConnectionRecord, credentials: PostgresCredentials) {
  return {
    id: connection.id,
    name: connection.name,
    description: connection.description,
    app: connection.app,
    method: connection.method,
    orgId: connection.orgId,
    version: connection.version,
    gatewayId: null,
    isPlatformManagedCredentials: false,
    credentialsHash: null,
    credentials: sanitizedCredentials(credentials),
    createdAt: connection.createdAt,
    updatedAt: connection.updatedAt,
  };
}

async function view(ctx: ServerContext, connection: AppConnectionRecord) {
  return appConnectionView(connection, await openCredentials<PostgresCredentials>(ctx.keys, connection));
}

/** The connection `id` of the caller's organization, or the contract's 404. */
async function connectionInOrg(ctx: ServerContext, auth: ConnectionUser, id: string) {
  const connection = await ctx.store.appConnections.get(id);
  if (!connection || connection.orgId !== auth.orgId || connection.app !== POSTGRES_APP) {
    throw notFound(`Could not find App Connection with ID ${id}`);
  }
  return connection;
}

/** Refuses credentials the target database does not accept (upstream validates them the same way). */
async function assertCredentialsWork(credentials: PostgresCredentials) {
  const failure = await checkPostgresCredentials(credentials);
  if (failure) throw badRequest(`Unable to validate connection: ${failure}`);
}

const nameTaken = (name: string) => badRequest(`An App Connection with the name "${name}" already exists`);

export interface CreateAppConnectionInput {
  name: string;
  description?: string | null | undefined;
  method: typeof USERNAME_AND_PASSWORD;
  credentials: PostgresCredentials;
}

/** POST /api/v1/app-connections/postgres. */
export async function createAppConnection(
  ctx: ServerContext,
  caller: OrgCaller,
  input: CreateAppConnectionInput,
) {
  assertAppConnectionRight(caller.auth, 'create');
  await assertCredentialsWork(input.credentials);
  const id = randomUUID();
  const now = new Date(ctx.now()).toISOString();
  const sealed = await sealCredentials(ctx.keys, id, input.credentials);
  const connection: AppConnectionRecord = {
    id,
    orgId: caller.auth.orgId,
    name: input.name,
    description: input.description ?? null,
    app: POSTGRES_APP,
    method: input.method,
    credentialsCiphertext: sealed.ciphertext,
    credentialsKey: sealed.key,
    version: 1,
    createdAt: now,
    updatedAt: now,
  };
  try {
    await ctx.store.appConnections.insert(connection);
  } catch (error) {
    if (error instanceof StoreConflictError) throw nameTaken(input.name);
    throw error;
  }
  await caller.audit({
    type: 'create-app-connection',
    metadata: { name: input.name, method: input.method, app: POSTGRES_APP, connectionId: id },
  });
  return { appConnection: appConnectionView(connection, input.credentials) };
}

/** GET /api/v1/app-connections/postgres. */
export async function listAppConnections(ctx: ServerContext, caller: OrgCaller) {
  assertAppConnectionRight(caller.auth, 'read');
  const connections = await ctx.store.appConnections.list(caller.auth.orgId, POSTGRES_APP);
  const appConnections = await Promise.all(connections.map((c) => view(ctx, c)));
  await caller.audit({
    type: 'get-app-connections',
    metadata: { app: POSTGRES_APP, count: connections.length, connectionIds: connections.map((c) => c.id) },
  });
  return { appConnections };
}

/** GET /api/v1/app-connections/postgres/available: the connections the caller may use (id and name only). */
export async function listAvailableAppConnections(ctx: ServerContext, caller: OrgCaller) {
  assertAppConnectionRight(caller.auth, 'connect');
  const connections = await ctx.store.appConnections.list(caller.auth.orgId, POSTGRES_APP);
  await caller.audit({
    type: 'get-available-app-connections-details',
    metadata: { app: POSTGRES_APP, count: connections.length, connectionIds: connections.map((c) => c.id) },
  });
  return { appConnections: connections.map((c) => ({ app: POSTGRES_APP, name: c.name, id: c.id })) };
}

/** GET /api/v1/app-connections/postgres/:connectionId and …/connection-name/:connectionName. */
export async function getAppConnection(
  ctx: ServerContext,
  caller: OrgCaller,
  ref: { connectionId: string } | { connectionName: string },
) {
  assertAppConnectionRight(caller.auth, 'read');
  let connection: AppConnectionRecord | undefined;
  if ('connectionId' in ref) connection = await connectionInOrg(ctx, caller.auth, ref.connectionId);
  else {
    connection = await ctx.store.appConnections.getByName(
      caller.auth.orgId,
      POSTGRES_APP,
      ref.connectionName,
    );
    if (!connection) throw notFound(`Could not find App Connection with name ${ref.connectionName}`);
  }
  await caller.audit({ type: 'get-app-connection', metadata: { connectionId: connection.id } });
  return { appConnection: await view(ctx, connection) };
}

export interface UpdateAppConnectionInput {
  connectionId: string;
  name?: string | undefined;
  description?: string | null | undefined;
  credentials?: PostgresCredentials | undefined;
}

/** PATCH /api/v1/app-connections/postgres/:connectionId (new credentials are checked first). */
export async function updateAppConnection(
  ctx: ServerContext,
  caller: OrgCaller,
  input: UpdateAppConnectionInput,
) {
  assertAppConnectionRight(caller.auth, 'edit');
  const current = await connectionInOrg(ctx, caller.auth, input.connectionId);
  const credentials = input.credentials ?? (await openCredentials<PostgresCredentials>(ctx.keys, current));
  if (input.credentials) await assertCredentialsWork(input.credentials);
  const sealed = input.credentials
    ? await sealCredentials(ctx.keys, current.id, input.credentials)
    : { ciphertext: current.credentialsCiphertext, key: current.credentialsKey };
  const next: AppConnectionRecord = {
    ...current,
    name: input.name ?? current.name,
    description: input.description !== undefined ? input.description : current.description,
    credentialsCiphertext: sealed.ciphertext,
    credentialsKey: sealed.key,
    version: current.version + 1,
    updatedAt: new Date(ctx.now()).toISOString(),
  };
  try {
    await ctx.store.appConnections.update(next, current.version);
  } catch (error) {
    if (error instanceof StoreConflictError && error.kind === 'unique') throw nameTaken(next.name);
    if (error instanceof StoreConflictError)
      throw badRequest('The App Connection was changed by another request; retry');
    throw error;
  }
  await caller.audit({
    type: 'update-app-connection',
    metadata: {
      name: input.name,
      description: input.description,
      credentialsUpdated: Boolean(input.credentials),
      connectionId: current.id,
    },
  });
  return { appConnection: appConnectionView(next, credentials) };
}

/** DELETE /api/v1/app-connections/postgres/:connectionId (refused while a rotation uses it). */
export async function deleteAppConnection(ctx: ServerContext, caller: OrgCaller, connectionId: string) {
  assertAppConnectionRight(caller.auth, 'delete');
  const connection = await connectionInOrg(ctx, caller.auth, connectionId);
  const shown = await view(ctx, connection);
  try {
    await ctx.store.appConnections.delete(connection.id);
  } catch (error) {
    if (error instanceof StoreConflictError) {
      throw badRequest(
        'Cannot delete App Connection with existing connections. Remove all existing connections and try again.',
      );
    }
    throw error;
  }
  await caller.audit({ type: 'delete-app-connection', metadata: { connectionId: connection.id } });
  return { appConnection: shown };
}

/**
 * The credentials of a connection the caller may use (`connect`), for a rotation in its organization.
 * Not audited here: the rotation that uses it is.
 */
export async function connectionForUse(ctx: ServerContext, auth: ConnectionUser, connectionId: string) {
  assertAppConnectionRight(auth, 'connect');
  const connection = await connectionInOrg(ctx, auth, connectionId);
  return { connection, credentials: await openCredentials<PostgresCredentials>(ctx.keys, connection) };
}

/** A connection's credentials for the rotation scheduler (no caller: the rotation was authorized when made). */
export async function connectionCredentials(ctx: ServerContext, connectionId: string) {
  const connection = await ctx.store.appConnections.get(connectionId);
  if (!connection) throw notFound(`Could not find App Connection with ID ${connectionId}`);
  return { connection, credentials: await openCredentials<PostgresCredentials>(ctx.keys, connection) };
}
