/**
 * The change-notice stream: server-sent events telling a session that secrets changed where it
 * reads them (never values), so it re-reads at once instead of polling. Every stream is bounded:
 * per identity and in total, an idle timeout, a cap on unread bytes (a slow reader is cut and
 * resumes), and the caller's token and project access re-checked at every heartbeat (a revoked token
 * ends the stream). docs/change-delivery.md describes the wire format.
 */
import type { Response } from 'express';
import type { AuthContext, ServerContext } from '../../context.js';
import { accessFor } from '../../auth/permissions.js';
import { ApiError } from '../../http/errors.js';
import type { ProjectRecord } from '../../store/records.js';
import type { ChangeListener, ChangeNotice } from '../../shared/change-notice.js';
import { parseStoredNotice } from './change-feed.js';

/** What one stream listens to. */
export interface StreamScope {
  project: ProjectRecord;
  /** Only this environment's notices (slug); all environments when absent. */
  environment?: string | undefined;
  /** Only notices at this path (and below it with `recursive`); every path when absent. */
  secretPath?: string | undefined;
  recursive: boolean;
}

/** Why a stream ended, sent as the data of the last `end` event. */
export type StreamEndReason =
  | 'token-revoked'
  | 'token-expired'
  | 'access-revoked'
  | 'idle'
  | 'slow-reader'
  | 'server-closing';

const under = (path: string, folder: string) =>
  folder === '/' || path === folder || path.startsWith(`${folder}/`);

/** Whether a notice falls in a stream's scope. */
export function inScope(scope: StreamScope, notice: ChangeNotice): boolean {
  if (notice.projectId !== scope.project.id) return false;
  if (scope.environment !== undefined && notice.environment !== scope.environment) return false;
  if (scope.secretPath === undefined) return true;
  return scope.recursive
    ? under(notice.secretPath, scope.secretPath)
    : notice.secretPath === scope.secretPath;
}

/** The data of a `change` event: where, when, and the id to resume after. No values, no names of people. */
const noticeData = (n: ChangeNotice) =>
  JSON.stringify({
    id: n.id,
    projectId: n.projectId,
    environment: n.environment,
    secretPath: n.secretPath,
    timestamp: n.timestamp,
  });

/** One open stream. */
class NoticeStream {
  private lastSentId: number;
  /** Notices that arrived while the replay was being read; sent after it. */
  private pending: ChangeNotice[] | undefined = [];
  private heartbeat?: NodeJS.Timeout;
  private idle?: NodeJS.Timeout;
  private ended = false;

  constructor(
    private readonly ctx: ServerContext,
    private readonly res: Response,
    readonly auth: AuthContext,
    readonly scope: StreamScope,
    lastEventId: number | undefined,
    private readonly onEnd: () => void,
  ) {
    this.lastSentId = lastEventId ?? 0;
  }

  /** Writes the headers and the `ready` event, replays what was missed, then goes live. */
  async open(lastEventId: number | undefined) {
    const { heartbeatMs } = this.ctx.settings.changeStream;
    this.res.status(200);
    this.res.set({
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache, no-transform',
      'x-accel-buffering': 'no',
    });
    this.res.flushHeaders();
    this.write(`retry: 1000\nevent: ready\ndata: ${JSON.stringify({ heartbeatMs })}\n\n`);
    this.heartbeat = setInterval(() => void this.beat(), heartbeatMs);
    this.heartbeat.unref();
    this.resetIdle();
    if (lastEventId !== undefined) await this.replay(lastEventId);
    const queued = this.pending ?? [];
    this.pending = undefined;
    for (const notice of queued) this.send(notice);
  }

  private async replay(afterId: number) {
    const { maxReplay } = this.ctx.settings.changeStream;
    const oldest = await this.ctx.store.changes.oldestId();
    // Notices after `afterId` may have been purged: the session must re-read everything.
    if (oldest !== undefined && afterId + 1 < oldest) return this.reset();
    const missed = await this.ctx.store.changes.since(this.scope.project.id, afterId, maxReplay + 1);
    if (missed.length > maxReplay) return this.reset();
    for (const stored of missed) this.send(parseStoredNotice(stored), true);
  }

  private reset() {
    this.write('event: reset\ndata: {}\n\n');
  }

  /** Sends a notice in scope (once, in id order as received). */
  send(notice: ChangeNotice, replaying = false) {
    if (this.ended || !inScope(this.scope, notice)) return;
    if (this.pending && !replaying) {
      this.pending.push(notice);
      return;
    }
    if (notice.id <= this.lastSentId) return;
    this.lastSentId = notice.id;
    this.write(`id: ${notice.id}\nevent: change\ndata: ${noticeData(notice)}\n\n`);
    this.resetIdle();
  }

  private write(chunk: string) {
    if (this.ended) return;
    this.res.write(chunk);
    // A reader that does not keep up is cut rather than buffered for: it reconnects and resumes.
    if (this.res.writableLength > this.ctx.settings.changeStream.maxBufferedBytes) {
      this.finish('slow-reader', true);
    }
  }

  private resetIdle() {
    clearTimeout(this.idle);
    this.idle = setTimeout(() => this.end('idle'), this.ctx.settings.changeStream.idleTimeoutMs);
    this.idle.unref();
  }

  /** The heartbeat: a comment line, and the caller's token and access checked again. */
  private async beat() {
    if (this.ended) return;
    const reason = await this.revoked().catch(() => undefined);
    if (reason) return this.end(reason);
    this.write(': heartbeat\n\n');
  }

  private async revoked(): Promise<StreamEndReason | undefined> {
    const token = await this.ctx.store.access.getAccessToken(this.auth.token.id);
    if (!token || token.isRevoked) return 'token-revoked';
    const lifetime = token.period > 0 ? token.period : token.ttl;
    if (lifetime > 0 && this.ctx.now() > token.renewedAtMs + lifetime * 1000) return 'token-expired';
    try {
      const access = await accessFor(this.ctx, this.auth, this.scope.project);
      if (!access.can('read', 'secrets')) return 'access-revoked';
    } catch {
      return 'access-revoked';
    }
    return undefined;
  }

  /** Ends the stream with an `end` event saying why. */
  end(reason: StreamEndReason) {
    if (this.ended) return;
    this.res.write(`event: end\ndata: ${JSON.stringify({ reason })}\n\n`);
    this.finish(reason, false);
  }

  private finish(_reason: StreamEndReason, cut: boolean) {
    if (this.ended) return;
    this.ended = true;
    clearInterval(this.heartbeat);
    clearTimeout(this.idle);
    if (cut) this.res.destroy();
    else this.res.end();
    this.onEnd();
  }

  /** The client went away. */
  closed() {
    if (this.ended) return;
    this.ended = true;
    clearInterval(this.heartbeat);
    clearTimeout(this.idle);
    this.onEnd();
  }
}

/**
 * Every open stream of this replica; a change-feed listener that hands each notice to the streams
 * whose scope it falls in, from this replica's writes or another's.
 */
export class ChangeStreams implements ChangeListener {
  private readonly streams = new Set<NoticeStream>();
  private readonly perIdentity = new Map<string, number>();

  constructor(private readonly ctx: ServerContext) {}

  /** How many streams are open on this replica. */
  get size(): number {
    return this.streams.size;
  }

  /** Opens a stream on `res`, or throws 429 `TooManyStreams` when a bound is reached. */
  async open(res: Response, auth: AuthContext, scope: StreamScope, lastEventId: number | undefined) {
    const { maxPerIdentity, maxTotal } = this.ctx.settings.changeStream;
    const identityId = auth.identity.id;
    const mine = this.perIdentity.get(identityId) ?? 0;
    if (mine >= maxPerIdentity)
      throw new ApiError(
        429,
        'TooManyStreams',
        `This identity already has ${mine} open change streams on this server (the most allowed); close one first`,
        { headers: { 'Retry-After': '5' } },
      );
    if (this.streams.size >= maxTotal)
      throw new ApiError(429, 'TooManyStreams', 'This server has as many open change streams as it allows', {
        headers: { 'Retry-After': '5' },
      });
    this.perIdentity.set(identityId, mine + 1);
    const stream = new NoticeStream(this.ctx, res, auth, scope, lastEventId, () => {
      this.streams.delete(stream);
      const left = (this.perIdentity.get(identityId) ?? 1) - 1;
      if (left > 0) this.perIdentity.set(identityId, left);
      else this.perIdentity.delete(identityId);
    });
    this.streams.add(stream);
    res.on('close', () => stream.closed());
    await stream.open(lastEventId);
  }

  notice(notice: ChangeNotice) {
    for (const stream of this.streams) stream.send(notice);
  }

  close() {
    for (const stream of [...this.streams]) stream.end('server-closing');
  }
}
