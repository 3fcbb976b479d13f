/**
 * The secret-rotation scheduler: one per server process, every replica runs one. Each poll lists
 * the due rotations (past their time, or left unfinished by a crashed holder whose lease ran out)
 * and takes each one's lease under a database lock before running it, so a due rotation is run
 * by exactly one replica (SecretRotationStore.claim).
 */
import { randomUUID } from 'node:crypto';
import type { ServerContext } from '../../context.js';
import { platformCaller } from './platform-caller.js';
import { leaseUntil, runClaimedRotation } from './rotation-runner.js';

export class RotationScheduler {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private stopped = false;

  constructor(private readonly ctx: ServerContext) {}

  /** Starts polling (at once, then every `rotations.pollIntervalMs`); does nothing when disabled. */
  start(): void {
    const settings = this.ctx.settings.rotations;
    if (!settings.schedulerEnabled || this.timer) return;
    this.timer = setInterval(() => this.poll(), settings.pollIntervalMs);
    // The scheduler never keeps the process alive on its own.
    this.timer.unref();
    this.poll();
  }

  /** Stops polling and waits for the rotation in progress, if any, to finish. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    await this.running;
  }

  /** One pass over the due rotations; a pass still running is not started twice. */
  poll(): Promise<void> {
    this.running ??= this.runDue()
      .catch((error: Error) => {
        this.ctx.logger.error({ err: { message: error.message } }, 'secret rotation scheduler: pass failed');
      })
      .finally(() => {
        this.running = undefined;
      });
    return this.running;
  }

  private async runDue(): Promise<void> {
    const store = this.ctx.store.secretRotations;
    const now = new Date(this.ctx.now()).toISOString();
    for (const id of await store.listDue(now)) {
      if (this.stopped) return;
      const holder = randomUUID();
      const claimed = await store.claim(id, holder, now, leaseUntil(this.ctx), true);
      if (!claimed) continue;
      const project = await this.ctx.store.projects.getProject(claimed.projectId);
      if (!project) continue;
      const dataKey = await this.ctx.loadDataKey(project);
      await runClaimedRotation(this.ctx, platformCaller(this.ctx, project, dataKey), claimed, holder, false);
    }
  }
}
