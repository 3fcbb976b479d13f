/**
 * The one client of the server's own HTTP API (bootstrap, projects, identities, memberships,
 * folders, secrets: the management calls the SDK does not make), for everything that provisions
 * over it exactly as an operator would: `kms-server dev`'s demo project, `kms-server apply`, the
 * test kit (packages/testing/src/index.ts) and the server's tests. Plain `fetch`, no retries.
 */

/** An answer: the status and the body, parsed when it is JSON (an {@link ApiCallError} when refused). */
export interface ApiAnswer<T> {
  status: number;
  body: T;
}

/** An answer as it came over the wire: status, headers, the body's text and what it holds. */
export interface ApiExchange {
  status: number;
  headers: Headers;
  text: string;
  /** The body parsed when it is JSON, else its text; undefined when empty. */
  body: unknown;
}

/** How one request is sent: a JSON body (a string is sent as it is), a token, extra headers. */
export interface ApiRequestOptions {
  /** Sent as JSON; a string is sent unchanged (to send a malformed body). */
  body?: unknown;
  /** Bearer token for this request, in place of the client's. */
  token?: string;
  headers?: Record<string, string>;
}

/**
 * A refused call: the method, path, status and the API's message (never a request body). The
 * answer's text is kept in `responseText` for callers that show or assert on it.
 */
export class ApiCallError extends Error {
  constructor(
    readonly method: string,
    readonly path: string,
    readonly status: number,
    readonly apiMessage: string,
    readonly responseText = '',
  ) {
    super(`${method} ${path} failed with ${status}: ${apiMessage}`);
    this.name = 'ApiCallError';
  }
}

/** The body parsed as JSON; undefined when empty or not JSON. */
function parseJson(text: string): unknown {
  try {
    return text ? JSON.parse(text) : undefined;
  } catch {
    return undefined;
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

/** A client of one server (`siteUrl`, no `/api` suffix), acting with a bearer token or none. */
export class ApiClient {
  constructor(
    readonly siteUrl: string,
    private token?: string,
  ) {}

  /** Acts with `token` from now on (e.g. the admin token `bootstrap` returned). */
  useToken(token: string) {
    this.token = token;
  }

  /** Sends one request and returns the answer as it came, whatever its status. */
  async exchange(method: string, path: string, options: ApiRequestOptions = {}): Promise<ApiExchange> {
    const { body, headers = {} } = options;
    const token = options.token ?? this.token;
    const res = await fetch(`${this.siteUrl}${path}`, {
      method,
      headers: {
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        ...(token ? { authorization: `Bearer ${token}` } : {}),
        ...headers,
      },
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    });
    const text = await res.text();
    let parsed: unknown = text || undefined;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      // not JSON: keep the text
    }
    return { status: res.status, headers: res.headers, text, body: parsed };
  }

  /** Any answer; the body parsed when it is JSON, an {@link ApiCallError} when the status is 4xx or 5xx. */
  async request<T>(method: string, path: string, body?: unknown): Promise<ApiAnswer<T>> {
    const { status, text } = await this.exchange(method, path, { body });
    const parsed = parseJson(text);
    if (status >= 400) {
      const error = new ApiCallError(method, path, status, messageOf(parsed, text), text);
      return { status, body: error as T };
    }
    return { status, body: parsed as T };
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
