/**
 * A tiny client of the server's own HTTP API, for the tools that provision over it exactly as an
 * operator would (`kms-server dev`'s demo project, `kms-server apply`).
 */
export interface ApiAnswer<T> {
  status: number;
  body: T;
}

/** A refused call: the method, path, status and the API's message (never a request body). */
export class ApiCallError extends Error {
  constructor(
    readonly method: string,
    readonly path: string,
    readonly status: number,
    readonly apiMessage: string,
  ) {
    super(`${method} ${path} failed with ${status}: ${apiMessage}`);
    this.name = 'ApiCallError';
  }
}

/** The API's error `message` (a string, or the validation issues as text). */
function messageOf(body: unknown, text: string): string {
  const message = (body as { message?: unknown } | undefined)?.message;
  if (typeof message === 'string') return message;
  if (Array.isArray(message))
    return message
      .map((i: { path?: unknown[]; message?: string }) => `${(i.path ?? []).join('.')}: ${i.message}`)
      .join('; ');
  return text.slice(0, 300);
}

export class ApiClient {
  constructor(
    readonly siteUrl: string,
    private token?: string,
  ) {}

  useToken(token: string) {
    this.token = token;
  }

  /** Any answer; the body parsed when it is JSON. */
  async request<T>(method: string, path: string, body?: unknown): Promise<ApiAnswer<T>> {
    const res = await fetch(`${this.siteUrl}${path}`, {
      method,
      headers: {
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        ...(this.token ? { authorization: `Bearer ${this.token}` } : {}),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    let parsed: unknown;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      parsed = undefined;
    }
    if (res.status >= 400) {
      const error = new ApiCallError(method, path, res.status, messageOf(parsed, text));
      return { status: res.status, body: error as T };
    }
    return { status: res.status, body: parsed as T };
  }

  /** A call that must succeed; anything else throws {@link ApiCallError}. */
  async call<T>(method: string, path: string, body?: unknown): Promise<T> {
    const answer = await this.request<T>(method, path, body);
    if (answer.status >= 400) throw answer.body as unknown as ApiCallError;
    return answer.body;
  }

  /** A read where 404 means "not there": undefined. Anything else but 2xx throws. */
  async find<T>(path: string): Promise<T | undefined> {
    const answer = await this.request<T>('GET', path);
    if (answer.status === 404) return undefined;
    if (answer.status >= 400) throw answer.body as unknown as ApiCallError;
    return answer.body;
  }
}
