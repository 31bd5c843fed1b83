import { timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { SiloError, httpStatusOf, toSiloError, type Logger } from '@silo/common';

/** A matched request, with its path parameters. */
export interface ApiRequest {
  params: Record<string, string>;
  query: URLSearchParams;
  body: unknown;
}

/** What a route handler returns: JSON, or raw bytes with headers. */
export type ApiResponse =
  | { status?: number; json: unknown }
  | { status?: number; bytes: Uint8Array; headers: Record<string, string> };

type Handler = (request: ApiRequest) => Promise<ApiResponse>;

interface Route {
  method: string;
  pattern: RegExp;
  names: string[];
  handler: Handler;
}

/** Largest JSON body accepted. */
const MAX_BODY_BYTES = 1024 * 1024;

/** A tiny JSON router with bearer-token authentication; every route requires the token. */
export class HttpApi {
  readonly #routes: Route[] = [];
  readonly #token: Buffer;
  readonly #logger: Logger;

  constructor(token: string, logger: Logger) {
    this.#token = Buffer.from(token);
    this.#logger = logger;
  }

  /** Adds a route; `:name` segments become parameters. */
  route(method: string, path: string, handler: Handler): this {
    const names: string[] = [];
    const pattern = new RegExp(
      `^${path.replace(/:([a-zA-Z]+)/g, (_m, name: string) => {
        names.push(name);
        return '([A-Za-z0-9_.-]+)';
      })}$`,
    );
    this.#routes.push({ method, pattern, names, handler });
    return this;
  }

  /** The request listener for `http.createServer`. */
  readonly listener = (req: IncomingMessage, res: ServerResponse): void => {
    this.#handle(req, res).catch((err: unknown) => this.#fail(res, err));
  };

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (req.method === 'GET' && url.pathname === '/healthz') {
      send(res, 200, { ok: true });
      return;
    }
    this.#authenticate(req);
    for (const route of this.#routes) {
      const match = route.pattern.exec(url.pathname);
      if (match === null || route.method !== req.method) continue;
      const params = Object.fromEntries(route.names.map((name, i) => [name, match[i + 1] ?? '']));
      const body = req.method === 'POST' ? await readJson(req) : undefined;
      const response = await route.handler({ params, query: url.searchParams, body });
      if ('json' in response) send(res, response.status ?? 200, response.json);
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

  #authenticate(req: IncomingMessage): void {
    const header = req.headers.authorization ?? '';
    const match = /^Bearer (.+)$/.exec(header);
    if (match === null) throw new SiloError('ERR_UNAUTHENTICATED', 'missing bearer token');
    const given = Buffer.from(match[1] ?? '');
    if (given.length !== this.#token.length || !timingSafeEqual(given, this.#token)) {
      throw new SiloError('ERR_UNAUTHENTICATED', 'invalid bearer token');
    }
  }

  #fail(res: ServerResponse, err: unknown): void {
    const error = toSiloError(err);
    if (error.code === 'ERR_INTERNAL') this.#logger.error({ err }, 'HTTP handler failed');
    if (res.headersSent) {
      res.destroy();
      return;
    }
    send(res, httpStatusOf(error.code), { error: { code: error.code, message: error.message } });
  }
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
