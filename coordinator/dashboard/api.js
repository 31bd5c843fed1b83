// The dashboard's only way to the coordinator: its JSON API and its run event stream, with the
// bearer token the user pasted. The token lives in sessionStorage, so it is gone when the tab is.

const TOKEN_KEY = 'silo-token';

/** The stored bearer token, or null when signed out. */
export function token() {
  return sessionStorage.getItem(TOKEN_KEY);
}

export function signIn(value) {
  sessionStorage.setItem(TOKEN_KEY, value);
}

export function signOut() {
  sessionStorage.removeItem(TOKEN_KEY);
}

/**
 * Who the token says it is for, read without verifying it (the coordinator verifies every call):
 * `{ subject, role }` of a signed token; the bootstrap secret is not a JWT and acts as admin.
 */
export function tokenHolder() {
  const value = token() ?? '';
  const parts = value.split('.');
  if (parts.length !== 3) return { subject: 'bootstrap secret', role: 'admin' };
  try {
    const json = atob(parts[1].replace(/-/g, '+').replace(/_/g, '/'));
    const claims = JSON.parse(json);
    return { subject: String(claims.sub ?? '?'), role: String(claims.role ?? '?') };
  } catch {
    return { subject: '?', role: '?' };
  }
}

/** A refused or failed call: `status` is the HTTP status, `code` the coordinator's error code. */
export class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

async function failure(response) {
  let code = `HTTP_${response.status}`;
  let message = response.statusText || 'request failed';
  try {
    const body = await response.json();
    if (body && body.error) ({ code, message } = body.error);
  } catch {
    // Not a JSON error body (a proxy's page, say): keep the status line.
  }
  return new ApiError(response.status, code, message);
}

function headers(accept) {
  return { authorization: `Bearer ${token() ?? ''}`, accept };
}

/** GETs a JSON route of the coordinator's API. */
export async function getJson(path, signal) {
  const response = await fetch(path, { headers: headers('application/json'), signal });
  if (!response.ok) throw await failure(response);
  return response.json();
}

/** Splits server-sent event text into `{ event, data, id }` messages; returns the unparsed tail. */
export function parseEvents(text, onMessage) {
  const blocks = text.replace(/\r\n?/g, '\n').split('\n\n');
  const rest = blocks.pop() ?? '';
  for (const block of blocks) {
    let event = 'message';
    let id;
    const data = [];
    for (const line of block.split('\n')) {
      if (line === '' || line.startsWith(':')) continue;
      const colon = line.indexOf(':');
      const field = colon < 0 ? line : line.slice(0, colon);
      const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
      if (field === 'event') event = value;
      else if (field === 'data') data.push(value);
      else if (field === 'id') id = value;
    }
    if (data.length > 0) onMessage({ event, id, data: data.join('\n') });
  }
  return rest;
}

/**
 * Reads a `text/event-stream` route until it ends, calling `onMessage` for each event.
 *
 * EventSource cannot send an Authorization header, and putting the token in the URL would leave
 * it in server logs and browser history, so the stream is read with fetch and parsed here.
 * `onActivity` is called for every chunk, heartbeats included, so the caller can tell a stream
 * that went silent from one that is merely quiet.
 */
export async function readEvents(path, { signal, onMessage, onActivity }) {
  const response = await fetch(path, { headers: headers('text/event-stream'), signal, cache: 'no-store' });
  if (!response.ok) throw await failure(response);
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    onActivity?.();
    buffer = parseEvents(buffer + value, onMessage);
  }
}
