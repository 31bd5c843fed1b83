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

/** Downloads raw bytes from the API, with the response headers. */
export async function downloadBytes(
  target: ApiTarget,
  path: string,
): Promise<{ bytes: Uint8Array; headers: Headers }> {
  const response = await request(target, 'GET', path);
  return { bytes: new Uint8Array(await response.arrayBuffer()), headers: response.headers };
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
