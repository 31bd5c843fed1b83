import { SiloError, isSiloErrorCode } from '@silo/common';

/** Where the control plane is and how to authenticate; flags win over `SILO_URL` / `SILO_TOKEN`. */
export interface ApiTarget {
  url: string;
  token: string;
}

/** Reads the API target from flags and environment, failing with a hint when the token is missing. */
export function apiTarget(options: { coordinator?: string; token?: string }): ApiTarget {
  const url = options.coordinator ?? process.env['SILO_URL'] ?? 'http://127.0.0.1:7080';
  const token = options.token ?? process.env['SILO_TOKEN'];
  if (token === undefined || token === '') {
    throw new SiloError('ERR_UNAUTHENTICATED', 'no API token: pass --token or set SILO_TOKEN');
  }
  return { url: url.replace(/\/+$/, ''), token };
}

/** Calls the coordinator's HTTP API and returns parsed JSON; API errors keep their code. */
export async function callApi<T>(
  target: ApiTarget,
  method: string,
  path: string,
  body?: unknown,
): Promise<T> {
  const response = await request(target, method, path, body);
  return (await response.json()) as T;
}

/**
 * Called as a download's bytes arrive: the bytes received so far and the total the server
 * announced (`Content-Length`), or undefined when it announced none.
 */
export type TransferProgress = (receivedBytes: number, totalBytes: number | undefined) => void;

/**
 * Downloads raw bytes from the API, with the response headers; `onProgress` is told of every
 * piece of the body as it arrives.
 */
export async function downloadBytes(
  target: ApiTarget,
  path: string,
  onProgress?: TransferProgress,
): Promise<{ bytes: Uint8Array; headers: Headers }> {
  const response = await request(target, 'GET', path);
  if (onProgress === undefined || response.body === null)
    return { bytes: new Uint8Array(await response.arrayBuffer()), headers: response.headers };
  const announced = Number(response.headers.get('content-length') ?? Number.NaN);
  const total = Number.isSafeInteger(announced) && announced >= 0 ? announced : undefined;
  const pieces: Uint8Array[] = [];
  let received = 0;
  onProgress(0, total);
  const reader = (response.body as ReadableStream<Uint8Array>).getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    pieces.push(value);
    received += value.byteLength;
    onProgress(received, total);
  }
  const bytes = new Uint8Array(received);
  let at = 0;
  for (const piece of pieces) {
    bytes.set(piece, at);
    at += piece.byteLength;
  }
  return { bytes, headers: response.headers };
}

async function request(target: ApiTarget, method: string, path: string, body?: unknown): Promise<Response> {
  let response: Response;
  try {
    const init: RequestInit = {
      method,
      headers: { authorization: `Bearer ${target.token}`, 'content-type': 'application/json' },
      signal: AbortSignal.timeout(30_000),
    };
    if (body !== undefined) init.body = JSON.stringify(body);
    response = await fetch(`${target.url}${path}`, init);
  } catch (err) {
    throw new SiloError(
      'ERR_UNAVAILABLE',
      `cannot reach the coordinator at ${target.url}: ${(err as Error).message}`,
      {
        cause: err,
      },
    );
  }
  if (!response.ok) {
    const payload = (await response.json().catch(() => ({}))) as {
      error?: { code?: unknown; message?: unknown };
    };
    const code = isSiloErrorCode(payload.error?.code) ? payload.error.code : 'ERR_INTERNAL';
    const message = typeof payload.error?.message === 'string' ? payload.error.message : response.statusText;
    throw new SiloError(code, `${method} ${path}: ${message}`);
  }
  return response;
}
