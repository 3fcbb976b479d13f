/**
 * Delivering webhooks after writes commit. The dispatcher listens to the change feed for writes
 * made on this replica (each write is delivered once, by the replica that made it), never blocks
 * the write, retries with a doubling delay, records the last status and error on the webhook
 * (upstream's fields) and audits each delivery as `webhook-triggered` by the platform actor.
 */
import picomatch from 'picomatch';
import type { ServerContext } from '../../context.js';
import type { ProjectRecord, WebhookRecord } from '../../store/records.js';
import type { ChangeListener, ChangeNotice } from '../../shared/change-notice.js';
import { openWebhookTarget } from './webhook-crypto.js';
import { type WebhookEventName, type WebhookEventPlace, webhookPayload } from './webhook-payloads.js';
import { postWebhook } from './webhook-request.js';

/** Whether a webhook wants an event at a secret path (upstream: a glob, trailing slashes ignored). */
export function webhookWants(webhook: WebhookRecord, event: WebhookEventName, secretPath: string): boolean {
  if (webhook.isDisabled) return false;
  if (webhook.filteredEvents.length > 0 && !webhook.filteredEvents.includes(event)) return false;
  return picomatch.isMatch(secretPath, webhook.secretPath, { strictSlashes: false });
}

/** Whether every outbound request may reach private addresses (config.ts `allowPrivateUrls`). */
export const allowPrivateTargets = (ctx: ServerContext) => ctx.settings.allowPrivateUrls;

/** How one delivery ended. */
export interface DeliveryOutcome {
  status: 'success' | 'failed';
  error: string | null;
}

/**
 * Delivers one event to one webhook: `attempts` tries with a doubling delay (a 2xx ends them), then
 * records the outcome on the webhook and in the audit log. Never throws.
 */
export async function deliverWebhook(
  ctx: ServerContext,
  project: ProjectRecord,
  webhook: WebhookRecord,
  event: WebhookEventName,
  place: WebhookEventPlace,
  options: { attempts: number; signal?: AbortSignal },
): Promise<DeliveryOutcome> {
  const settings = ctx.settings.webhooks;
  let error: string | null = null;
  try {
    const target = openWebhookTarget(await ctx.loadDataKey(project), webhook);
    const payload = webhookPayload(event, place, ctx.now());
    for (let attempt = 1; attempt <= options.attempts; attempt++) {
      try {
        await postWebhook(target.url, payload, {
          allowPrivate: allowPrivateTargets(ctx),
          timeoutMs: settings.timeoutMs,
          key: target.key,
          signal: options.signal,
        });
        error = null;
        break;
      } catch (failure) {
        error = (failure as Error).message;
        if (attempt === options.attempts || options.signal?.aborted) break;
        await sleep(settings.retryDelayMs * 2 ** (attempt - 1), options.signal);
      }
    }
  } catch (failure) {
    // The URL or key did not open (the row was altered outside the API): no request is made.
    error = `the webhook could not be read: ${(failure as Error).message}`;
  }
  const outcome: DeliveryOutcome = { status: error === null ? 'success' : 'failed', error };
  try {
    await ctx.store.webhooks.recordRun(webhook.id, {
      ...outcome,
      at: new Date(ctx.now()).toISOString(),
    });
    await ctx.audit.record(
      {
        type: 'webhook-triggered',
        orgId: project.orgId,
        projectId: project.id,
        projectName: project.name,
        metadata: {
          webhookId: webhook.id,
          type: event,
          status: outcome.status,
          payload: {
            type: webhook.type,
            projectId: project.id,
            projectName: project.name,
            environment: place.environment,
            secretPath: place.secretPath,
          },
        },
      },
      { type: 'platform', metadata: {} },
      { ipAddress: null, userAgent: null },
    );
  } catch (failure) {
    ctx.logger.error(
      { err: { message: (failure as Error).message }, webhookId: webhook.id },
      'recording a webhook delivery failed',
    );
  }
  return outcome;
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    timer.unref();
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}

/**
 * The change-feed listener that sends `secrets.modified` for writes made on this replica. At most
 * `maxConcurrent` deliveries run at once; up to `maxQueued` wait; beyond that a delivery is recorded
 * as failed at once, so a burst of writes cannot grow memory without bound.
 */
export class WebhookDispatcher implements ChangeListener {
  private readonly abort = new AbortController();
  private running = 0;
  private readonly queue: (() => Promise<void>)[] = [];
  private readonly idle = new Set<() => void>();

  constructor(private readonly ctx: ServerContext) {}

  notice(notice: ChangeNotice, origin: 'local' | 'remote') {
    if (origin !== 'local') return;
    void this.dispatch(notice).catch((error: Error) =>
      this.ctx.logger.error({ err: { message: error.message } }, 'webhook dispatch failed'),
    );
  }

  close() {
    this.abort.abort();
    this.queue.length = 0;
  }

  /** Resolves when no delivery is running or waiting (tests, shutdown). */
  settled(): Promise<void> {
    if (this.running === 0 && this.queue.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.idle.add(resolve));
  }

  private async dispatch(notice: ChangeNotice) {
    const hooks = (await this.ctx.store.webhooks.listWebhooks(notice.projectId, notice.envId)).filter((w) =>
      webhookWants(w, 'secrets.modified', notice.secretPath),
    );
    if (hooks.length === 0 || this.abort.signal.aborted) return;
    const project = await this.ctx.store.projects.getProject(notice.projectId);
    if (!project) return;
    const place: WebhookEventPlace = {
      project,
      environment: notice.environment,
      environmentName: notice.environmentName,
      secretPath: notice.secretPath,
    };
    const { attempts, maxConcurrent, maxQueued } = this.ctx.settings.webhooks;
    for (const hook of hooks) {
      const job = async () => {
        await deliverWebhook(this.ctx, project, hook, 'secrets.modified', place, {
          attempts,
          signal: this.abort.signal,
        });
      };
      if (this.running < maxConcurrent) this.start(job);
      else if (this.queue.length < maxQueued) this.queue.push(job);
      else
        await this.ctx.store.webhooks.recordRun(hook.id, {
          status: 'failed',
          error: `delivery dropped: more than ${maxQueued} deliveries were waiting`,
          at: new Date(this.ctx.now()).toISOString(),
        });
    }
  }

  private start(job: () => Promise<void>) {
    this.running++;
    void job().finally(() => {
      this.running--;
      const next = this.abort.signal.aborted ? undefined : this.queue.shift();
      if (next) this.start(next);
      else if (this.running === 0) {
        for (const resolve of this.idle) resolve();
        this.idle.clear();
      }
    });
  }
}
