/** A test reader of server-sent events over fetch: collects events and comment lines as they come. */
export interface SseEvent {
  event: string;
  data: string;
  id?: string;
}

export interface SseReader {
  status: number;
  headers: Headers;
  /** The error body when the stream was refused (status not 200). */
  body?: any;
  events: SseEvent[];
  comments: string[];
  /** Resolves when the server ends the stream. */
  done: Promise<void>;
  /** Resolves with the first event (from `from` on) matching, rejects after `ms`. */
  next(match: (e: SseEvent) => boolean, ms?: number, from?: number): Promise<SseEvent>;
  close(): void;
}

export async function openSse(
  url: string,
  token: string,
  headers: Record<string, string> = {},
): Promise<SseReader> {
  const abort = new AbortController();
  const res = await fetch(url, {
    headers: { authorization: `Bearer ${token}`, accept: 'text/event-stream', ...headers },
    signal: abort.signal,
  });
  const events: SseEvent[] = [];
  const comments: string[] = [];
  const waiters = new Set<() => void>();
  if (res.status !== 200) {
    const body = await res.json();
    return {
      status: res.status,
      headers: res.headers,
      body,
      events,
      comments,
      done: Promise.resolve(),
      next: () => Promise.reject(new Error(`stream refused: ${res.status}`)),
      close() {},
    };
  }
  const done = (async () => {
    const decoder = new TextDecoder();
    let buffer = '';
    try {
      for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
        buffer += decoder.decode(chunk, { stream: true });
        let cut = buffer.indexOf('\n\n');
        while (cut !== -1) {
          const block = buffer.slice(0, cut);
          buffer = buffer.slice(cut + 2);
          const e: SseEvent = { event: 'message', data: '' };
          let isEvent = false;
          for (const line of block.split('\n')) {
            if (line.startsWith(':')) comments.push(line.slice(1).trim());
            else if (line.startsWith('event: ')) {
              e.event = line.slice(7);
              isEvent = true;
            } else if (line.startsWith('data: ')) {
              e.data = line.slice(6);
              isEvent = true;
            } else if (line.startsWith('id: ')) e.id = line.slice(4);
          }
          if (isEvent) events.push(e);
          for (const w of waiters) w();
          cut = buffer.indexOf('\n\n');
        }
      }
    } catch {
      // Aborted by close().
    }
    for (const w of waiters) w();
  })();
  return {
    status: res.status,
    headers: res.headers,
    events,
    comments,
    done,
    next(match, ms = 10_000, from = 0) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const found = events.slice(from).find(match);
          if (found) {
            waiters.delete(check);
            clearTimeout(timer);
            resolve(found);
          }
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`no matching event within ${ms} ms; got ${JSON.stringify(events)}`));
        }, ms);
        waiters.add(check);
        check();
      });
    },
    close: () => abort.abort(),
  };
}
