import type { IncomingMessage, ServerResponse } from 'node:http';
import { SiloError, httpStatusOf, toSiloError, type Logger } from '@silo/common';
import type { Authenticator, Principal, Role } from './control-tokens.js';

/** A matched request, with its path parameters. */
export interface ApiRequest {
  params: Record<string, string>;
  query: URLSearchParams;
  body: unknown;
  /** Who is calling; their role is one the route allows. */
  principal: Principal;
}

/** What a route handler returns: JSON, raw bytes with headers, or a body written over time. */
export type ApiResponse =
  | { status?: number; json: unknown }
  | { status?: number; bytes: Uint8Array; headers: Record<string, string> }
  | StreamResponse;

type Handler = (request: ApiRequest) => Promise<ApiResponse>;

interface Route {
  method: string;
  path: string;
  roles: readonly Role[];
  pattern: RegExp;
  names: string[];
  handler: Handler;
}

/** Largest JSON body accepted. */
const MAX_BODY_BYTES = 1024 * 1024;

/**
 * A tiny JSON router with bearer-token authentication and per-route roles: every route but
 * `GET /healthz` needs a bearer credential, and a principal whose role the route declares.
 */
export class HttpApi {
  readonly #routes: Route[] = [];
  readonly #authenticate: Authenticator;
  readonly #logger: Logger;

  constructor(authenticate: Authenticator, logger: Logger) {
    this.#authenticate = authenticate;
    this.#logger = logger;
  }

  /**
   * Adds a route that the given roles may call; `:name` segments become parameters. The roles
   * must include `admin`, which may call everything.
   */
  route(method: string, path: string, roles: readonly Role[], handler: Handler): this {
    if (!roles.includes('admin')) {
      throw new SiloError('ERR_INTERNAL', `route ${method} ${path} must allow the admin role`);
    }
    const names: string[] = [];
    const pattern = new RegExp(
      `^${path.replace(/:([a-zA-Z]+)/g, (_m, name: string) => {
        names.push(name);
        return '([A-Za-z0-9_.-]+)';
      })}$`,
    );
    this.#routes.push({ method, path, roles, pattern, names, handler });
    return this;
  }

  /** The request listener for `http.createServer`. */
  readonly listener = (req: IncomingMessage, res: ServerResponse): void => {
    this.#handle(req, res).catch((err: unknown) => this.#fail(req, res, err));
  };

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (req.method === 'GET' && url.pathname === '/healthz') {
      send(res, 200, { ok: true });
      return;
    }
    const principal = await this.#authenticate(bearerOf(req));
    for (const route of this.#routes) {
      const match = route.pattern.exec(url.pathname);
      if (match === null || route.method !== req.method) continue;
      authorize(principal, route);
      const params = Object.fromEntries(route.names.map((name, i) => [name, match[i + 1] ?? '']));
      const body = req.method === 'POST' ? await readJson(req) : undefined;
      const response = await route.handler({ params, query: url.searchParams, body, principal });
      if ('stream' in response) await sendStream(res, response);
      else if ('json' in response) send(res, response.status ?? 200, response.json);
      else {
        res.writeHead(response.status ?? 200, {
          ...response.headers,
          'content-length': response.bytes.byteLength,
        });
        res.end(response.bytes);
      }
      return;
    }
    throw new SiloError('ERR_NOT_FOUND', `no route ${req.method ?? ''} ${url.pathname}`);
  }

  #fail(req: IncomingMessage, res: ServerResponse, err: unknown): void {
    const error = toSiloError(err);
    if (error.code === 'ERR_INTERNAL') this.#logger.error({ err }, 'HTTP handler failed');
    else if (error.code === 'ERR_UNAUTHENTICATED' || error.code === 'ERR_FORBIDDEN') {
      this.#logger.warn(
        { method: req.method, path: req.url, code: error.code, reason: error.message },
        'control-plane request refused',
      );
    }
    if (res.headersSent) {
      res.destroy();
      return;
    }
    send(res, httpStatusOf(error.code), { error: { code: error.code, message: error.message } });
  }
}

function bearerOf(req: IncomingMessage): string {
  const match = /^Bearer (.+)$/.exec(req.headers.authorization ?? '');
  if (match === null) throw new SiloError('ERR_UNAUTHENTICATED', 'missing bearer token');
  return match[1] ?? '';
}

function authorize(principal: Principal, route: Route): void {
  if (route.roles.includes(principal.role)) return;
  throw new SiloError(
    'ERR_FORBIDDEN',
    `role '${principal.role}' may not call ${route.method} ${route.path}; it needs the role ${route.roles.join(' or ')}`,
  );
}

function send(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES)
      throw new SiloError('ERR_TOO_LARGE', `request body exceeds ${MAX_BODY_BYTES} bytes`);
    chunks.push(chunk);
  }
  if (size === 0) return {};
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown;
  } catch (err) {
    throw new SiloError('ERR_BAD_INPUT', 'request body is not valid JSON', { cause: err });
  }
}

// Streaming responses (server-sent events). Kept apart from the JSON router above: a handler
// that returns `stream` gets the response's headers sent at once and then writes the body
// until it resolves or the client goes away.

/** A response whose body is written over time, such as a `text/event-stream`. */
export interface StreamResponse {
  status?: number;
  headers: Record<string, string>;
  /**
   * Writes the body. `write` returns false when the client has gone, or is not reading fast
   * enough (the text is then buffered all the same; the writer decides whether to wait or give
   * up). `closed` aborts when the client disconnects; the response ends when the promise settles.
   */
  stream(write: (text: string) => boolean, closed: AbortSignal): Promise<void>;
}

async function sendStream(res: ServerResponse, response: StreamResponse): Promise<void> {
  const closed = new AbortController();
  res.once('close', () => closed.abort());
  res.writeHead(response.status ?? 200, response.headers);
  res.flushHeaders();
  // On a failure the router's error handler destroys the connection, so the client sees the
  // stream break rather than end.
  await response.stream((text) => !res.destroyed && res.write(text), closed.signal);
  if (!res.writableEnded && !res.destroyed) res.end();
}
