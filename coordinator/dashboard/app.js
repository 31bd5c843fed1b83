// The dashboard's router: hash routes (#/runs, #/runs/<id>, #/workers, #/ledger, #/login), one
// page at a time, each stopped (streams closed, timers cleared, charts destroyed) on leaving it.

import { ApiError, signOut, token, tokenHolder } from './api.js';
import { h, notice } from './dom.js';
import { ledgerPage, loginPage, runsPage, workersPage } from './pages.js';
import { runPage } from './run-page.js';

const main = document.getElementById('main');
const nav = document.getElementById('nav');
let current = { stop: () => {}, controller: new AbortController() };

const ROUTES = [
  [/^\/runs$/, (ctx) => runsPage(ctx)],
  [/^\/runs\/([A-Za-z0-9_.-]+)$/, (ctx, id) => runPage(ctx, id)],
  [/^\/workers$/, (ctx) => workersPage(ctx)],
  [/^\/ledger$/, (ctx) => ledgerPage(ctx)],
];

function renderNav(path) {
  if (token() === null) {
    nav.replaceChildren();
    return;
  }
  const { subject, role } = tokenHolder();
  const link = (href, text) =>
    h('a', { href, class: path.startsWith(href.slice(1)) ? 'active' : undefined }, text);
  nav.replaceChildren(
    link('#/runs', 'Runs'),
    link('#/workers', 'Workers'),
    link('#/ledger', 'Ledger'),
    h(
      'span',
      { class: 'holder', title: 'as the token says; the coordinator checks it on every call' },
      `${subject} · ${role}`,
    ),
    h(
      'button',
      {
        type: 'button',
        id: 'sign-out',
        onclick: () => {
          signOut();
          location.hash = '#/login';
        },
      },
      'Sign out',
    ),
  );
}

/** What a page does with an error it cannot handle itself. */
function failWith(ctx) {
  return (err) => {
    if (ctx.signal.aborted) return; // the page was left; its fetches were cancelled
    if (err instanceof ApiError && err.status === 401) {
      signOut();
      show('/login', `The coordinator refused the token: ${err.message}`);
      return;
    }
    const text =
      err instanceof ApiError && err.status === 403
        ? `This token may not read this page: ${err.message}`
        : err instanceof ApiError
          ? `${err.code}: ${err.message}`
          : `Cannot reach the coordinator: ${err instanceof Error ? err.message : String(err)}`;
    main.querySelector('.page-error')?.remove();
    main.prepend(h('div', { class: 'page-error' }, notice(text, 'error')));
  };
}

function show(path, reason) {
  current.controller.abort();
  current.stop();
  const controller = new AbortController();
  const ctx = { main, signal: controller.signal };
  ctx.fail = failWith(ctx);
  // After signing in, show the page that asked for a token, or the runs.
  ctx.signedIn = () => {
    if (location.hash === '' || location.hash === '#/login') location.hash = '#/runs';
    else route();
  };
  current = { stop: () => {}, controller };
  main.replaceChildren();
  renderNav(path);
  if (token() === null || path === '/login') {
    current.stop = loginPage(ctx, reason);
    return;
  }
  for (const [pattern, render] of ROUTES) {
    const match = pattern.exec(path);
    if (match === null) continue;
    render(ctx, ...match.slice(1).map(decodeURIComponent)).then(
      (stop) => {
        if (controller.signal.aborted) stop();
        else current.stop = stop;
      },
      (err) => ctx.fail(err),
    );
    return;
  }
  main.append(notice(`There is no page ${path}.`, 'error'));
}

function route() {
  const path = location.hash.replace(/^#/, '') || '/runs';
  if (token() === null && path !== '/login') {
    location.hash = '#/login';
    return;
  }
  show(path);
}

window.addEventListener('hashchange', route);
route();
