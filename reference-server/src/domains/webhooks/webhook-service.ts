/**
 * Webhook management (upstream's routes and rules): create, list, update, delete, test. The
 * caller's project access is checked by the router (domains/secrets/caller.ts); the service checks
 * the `webhooks` permission and keeps the URL and key sealed (webhook-crypto.ts).
 */
import { randomUUID } from 'node:crypto';
import type { ServerContext } from '../../context.js';
import { badRequest, notFound } from '../../http/errors.js';
import type { EnvironmentRecord, WebhookRecord } from '../../store/records.js';
import { environmentBySlug } from '../secrets/folder-tree.js';
import type { Caller } from '../secrets/project-scope.js';
import { openWebhookTarget, sealWebhookTarget } from './webhook-crypto.js';
import { allowPrivateTargets, deliverWebhook } from './webhook-dispatcher.js';
import type { SubscribableWebhookEvent } from './webhook-payloads.js';
import { webhookUrlProblem } from './webhook-request.js';

/** A webhook as the API shows it (upstream's sanitized shape: no URL, no key). */
function webhookView(webhook: WebhookRecord, env: EnvironmentRecord) {
  return {
    id: webhook.id,
    projectId: webhook.projectId,
    envId: webhook.envId,
    environment: { id: env.id, name: env.name, slug: env.slug },
    secretPath: webhook.secretPath,
    type: webhook.type,
    isDisabled: webhook.isDisabled,
    lastStatus: webhook.lastStatus,
    lastRunErrorMessage: webhook.lastRunErrorMessage,
    eventsFilter: webhook.filteredEvents.map((eventName) => ({ eventName })),
    createdAt: webhook.createdAt,
    updatedAt: webhook.updatedAt,
  };
}

/** What the audit entries of webhook routes carry (upstream's metadata). */
export const webhookAuditFacts = (view: ReturnType<typeof webhookView>) => ({
  environment: view.environment.slug,
  webhookId: view.id,
  isDisabled: view.isDisabled,
  secretPath: view.secretPath,
});

async function environmentOf(ctx: ServerContext, webhook: WebhookRecord): Promise<EnvironmentRecord> {
  const env = await ctx.store.projects.getEnvironment(webhook.envId);
  if (!env) throw notFound(`Webhook with ID '${webhook.id}' not found`);
  return env;
}

/**
 * The project of webhook `webhookId`, so a route naming a webhook only by id can build its caller
 * (404 when there is none; the caller's access is checked after, in that project).
 */
export async function projectOfWebhook(ctx: ServerContext, webhookId: string): Promise<string> {
  const webhook = await ctx.store.webhooks.getWebhook(webhookId);
  if (!webhook) throw notFound(`Webhook with ID '${webhookId}' not found`);
  return webhook.projectId;
}

/** The webhook with this id in the caller's project, or 404. */
export async function webhookInProject(ctx: ServerContext, caller: Caller, webhookId: string) {
  const webhook = await ctx.store.webhooks.getWebhook(webhookId);
  if (!webhook || webhook.projectId !== caller.access.project.id)
    throw notFound(`Webhook with ID '${webhookId}' not found`);
  return webhook;
}

/** Input of {@link createWebhook}. */
export interface CreateWebhookInput {
  environment: string;
  webhookUrl: string;
  webhookSecretKey?: string | undefined;
  secretPath: string;
  eventsFilter?: { eventName: SubscribableWebhookEvent }[] | undefined;
}

/** POST /api/v1/webhooks: refuses private targets unless the operator allows them. */
export async function createWebhook(ctx: ServerContext, caller: Caller, input: CreateWebhookInput) {
  caller.access.assert('create', 'webhooks');
  const { project } = caller.access;
  const env = await environmentBySlug(ctx, project, input.environment);
  const problem = await webhookUrlProblem(input.webhookUrl, allowPrivateTargets(ctx));
  if (problem) throw badRequest(problem);
  const id = randomUUID();
  const now = new Date(ctx.now()).toISOString();
  const webhook: WebhookRecord = {
    id,
    projectId: project.id,
    envId: env.id,
    secretPath: input.secretPath,
    type: 'general',
    ...sealWebhookTarget(caller.access.dataKey, id, input.webhookUrl, input.webhookSecretKey || undefined),
    isDisabled: false,
    filteredEvents: (input.eventsFilter ?? []).map((e) => e.eventName),
    lastStatus: null,
    lastRunErrorMessage: null,
    createdAt: now,
    updatedAt: now,
  };
  await ctx.store.webhooks.insertWebhook(webhook);
  const view = webhookView(webhook, env);
  await caller.audit({ type: 'create-webhook', metadata: webhookAuditFacts(view) });
  return view;
}

/** GET /api/v1/webhooks: the project's webhooks with their URLs (upstream shows them to readers). */
export async function listWebhooks(
  ctx: ServerContext,
  caller: Caller,
  input: { environment?: string | undefined; secretPath?: string | undefined },
) {
  caller.access.assert('read', 'webhooks');
  const { project } = caller.access;
  const env = input.environment ? await environmentBySlug(ctx, project, input.environment) : undefined;
  const hooks = (await ctx.store.webhooks.listWebhooks(project.id, env?.id)).filter(
    (w) => input.secretPath === undefined || w.secretPath === input.secretPath,
  );
  const envs = new Map((await ctx.store.projects.listEnvironments(project.id)).map((e) => [e.id, e]));
  const { dataKey } = caller.access;
  const views = hooks.flatMap((w) => {
    const e = envs.get(w.envId);
    return e ? [{ ...webhookView(w, e), url: openWebhookTarget(dataKey, w).url }] : [];
  });
  await caller.audit({ type: 'get-webhooks', metadata: { webhookIds: views.map((v) => v.id) } });
  return views;
}

/** PATCH /api/v1/webhooks/:webhookId (audited as upstream's `update-webhook-status`). */
export async function updateWebhook(
  ctx: ServerContext,
  caller: Caller,
  input: {
    webhookId: string;
    isDisabled?: boolean | undefined;
    eventsFilter?: { eventName: SubscribableWebhookEvent }[] | undefined;
  },
) {
  caller.access.assert('edit', 'webhooks');
  const current = await webhookInProject(ctx, caller, input.webhookId);
  const updated: WebhookRecord = {
    ...current,
    isDisabled: input.isDisabled ?? current.isDisabled,
    filteredEvents: input.eventsFilter ? input.eventsFilter.map((e) => e.eventName) : current.filteredEvents,
    updatedAt: new Date(ctx.now()).toISOString(),
  };
  await ctx.store.webhooks.updateWebhook(updated);
  const view = webhookView(updated, await environmentOf(ctx, updated));
  await caller.audit({ type: 'update-webhook-status', metadata: webhookAuditFacts(view) });
  return view;
}

/** DELETE /api/v1/webhooks/:webhookId. */
export async function deleteWebhook(ctx: ServerContext, caller: Caller, input: { webhookId: string }) {
  caller.access.assert('delete', 'webhooks');
  const current = await webhookInProject(ctx, caller, input.webhookId);
  const view = webhookView(current, await environmentOf(ctx, current));
  await ctx.store.webhooks.deleteWebhook(current.id);
  await caller.audit({ type: 'delete-webhook', metadata: webhookAuditFacts(view) });
  return view;
}

/**
 * POST /api/v1/webhooks/:webhookId/test: one delivery of upstream's `test` event, awaited, its
 * outcome recorded on the webhook (and audited as `webhook-triggered`).
 */
export async function testWebhook(ctx: ServerContext, caller: Caller, input: { webhookId: string }) {
  caller.access.assert('read', 'webhooks');
  const current = await webhookInProject(ctx, caller, input.webhookId);
  const env = await environmentOf(ctx, current);
  const { project } = caller.access;
  const outcome = await deliverWebhook(
    ctx,
    project,
    current,
    'test',
    { project, environment: env.slug, environmentName: env.name, secretPath: current.secretPath },
    { attempts: 1 },
  );
  return webhookView({ ...current, lastStatus: outcome.status, lastRunErrorMessage: outcome.error }, env);
}
