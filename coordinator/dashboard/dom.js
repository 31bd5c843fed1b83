// Small DOM and formatting helpers. Text always goes in through textContent, never as HTML, so
// nothing the API returns (run names, refusal reasons) can inject markup.

/**
 * Creates an element: `attrs` are attributes (`class`, `data-*`, `href`, …) except `on*`
 * functions, which become listeners; children are nodes, strings, or arrays of them.
 */
export function h(tag, attrs = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith('on') && typeof value === 'function') element.addEventListener(name.slice(2), value);
    else element.setAttribute(name, value === true ? '' : String(value));
  }
  append(element, children);
  return element;
}

function append(element, children) {
  for (const child of children) {
    if (child === undefined || child === null || child === false) continue;
    if (Array.isArray(child)) append(element, child);
    else element.append(child instanceof Node ? child : String(child));
  }
}

/** A table with a header row; `rows` are arrays of cells (nodes or text). */
export function table(headings, rows, attrs = {}) {
  return h(
    'table',
    attrs,
    h('thead', {}, h('tr', {}, ...headings.map((text) => h('th', {}, text)))),
    h('tbody', {}, ...rows.map((cells) => h('tr', {}, ...cells.map((cell) => h('td', {}, cell))))),
  );
}

/** A number with `digits` decimals, or a dash when there is none. */
export function fixed(value, digits = 3) {
  return typeof value === 'number' && Number.isFinite(value) ? value.toFixed(digits) : '—';
}

/** A share in [0, 1] as a percentage. */
export function percent(value) {
  return typeof value === 'number' && Number.isFinite(value) ? `${(value * 100).toFixed(1)}%` : '—';
}

/** A duration in milliseconds, in the largest unit that keeps it readable. */
export function duration(ms) {
  if (typeof ms !== 'number' || !Number.isFinite(ms)) return '—';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 120_000) return `${(ms / 1000).toFixed(1)} s`;
  return `${(ms / 60_000).toFixed(1)} min`;
}

/** A time as local date and time, or a dash. */
export function when(ms) {
  return typeof ms === 'number' && ms > 0 ? new Date(ms).toLocaleString() : '—';
}

/** How long ago a time was, from now. */
export function ago(ms) {
  if (typeof ms !== 'number' || ms <= 0) return '—';
  const seconds = Math.max(0, Math.round((Date.now() - ms) / 1000));
  if (seconds < 60) return `${seconds} s ago`;
  if (seconds < 3600) return `${Math.round(seconds / 60)} min ago`;
  return `${(seconds / 3600).toFixed(1)} h ago`;
}

/** The start of a long hex key id, enough to tell keys apart on screen. */
export function shortKey(keyId) {
  return typeof keyId === 'string' && keyId.length > 12 ? `${keyId.slice(0, 12)}…` : String(keyId);
}

/** A status badge: running, completed, failed, cancelled, online, … */
export function badge(status) {
  return h('span', { class: `badge badge-${String(status).replace(/[^a-z-]/g, '')}` }, status);
}

/** A notice box for an error or an empty state. */
export function notice(text, kind = 'info') {
  return h('p', { class: `notice notice-${kind}`, role: kind === 'error' ? 'alert' : undefined }, text);
}
