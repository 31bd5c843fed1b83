// The login, runs, workers and ledger pages. Each renders into `ctx.main` and returns a function
// that stops whatever it keeps running; `ctx.fail(err)` reports an error the page cannot handle.

import { getJson, signIn } from './api.js';
import { ago, badge, h, notice, percent, shortKey, table, when } from './dom.js';

/** How often the runs, workers and ledger pages reload while open. */
const REFRESH_MS = 10_000;

/**
 * Loads and renders now, then again every {@link REFRESH_MS} (one load at a time) until the
 * returned function is called. A failed first load throws; later failures go to `ctx.fail`.
 */
async function refreshing(ctx, load) {
  await load();
  let busy = false;
  const timer = setInterval(() => {
    if (busy) return;
    busy = true;
    load()
      .catch((err) => ctx.fail(err))
      .finally(() => (busy = false));
  }, REFRESH_MS);
  return () => clearInterval(timer);
}

/** Asks for a bearer token and keeps it for this tab. */
export function loginPage(ctx, reason) {
  const input = h('input', {
    id: 'token',
    type: 'password',
    autocomplete: 'off',
    spellcheck: 'false',
    required: true,
    placeholder: 'bearer token',
  });
  const form = h(
    'form',
    {
      class: 'login',
      onsubmit: (event) => {
        event.preventDefault();
        const value = input.value.trim();
        if (value === '') return;
        signIn(value);
        ctx.signedIn();
      },
    },
    h('h1', {}, 'Sign in'),
    reason ? notice(reason, 'error') : null,
    h(
      'p',
      {},
      'Paste a control-plane token: a model-team token shows runs and workers, an auditor token ' +
        'runs and the ledger. An operator issues one with ',
      h('code', {}, 'silo tokens create --role model-team --subject NAME'),
      '. It is kept in this tab only and sent with every request.',
    ),
    h('label', { for: 'token' }, 'Token'),
    input,
    h('button', { type: 'submit', id: 'sign-in' }, 'Sign in'),
  );
  ctx.main.append(form);
  input.focus();
  return () => {};
}

/** Every run, newest first. */
export async function runsPage(ctx) {
  const body = h('section');
  ctx.main.append(h('header', { class: 'page-head' }, h('h1', {}, 'Runs')), body);
  return refreshing(ctx, async () => {
    const { runs } = await getJson('/v1/runs', ctx.signal);
    body.replaceChildren(runsTable(runs));
  });
}

function runsTable(runs) {
  if (runs.length === 0) return notice('No runs yet. Create one with silo run create --config run.yaml.');
  const rows = [...runs]
    .sort((a, b) => b.createdAt - a.createdAt)
    .map((run) => {
      const last = run.history.at(-1);
      return [
        h('a', { href: `#/runs/${encodeURIComponent(run.id)}`, class: 'run-link' }, run.name),
        h('code', {}, run.id),
        badge(run.status),
        `${run.round} of ${run.rounds}`,
        percent(last?.evalAccuracy ?? last?.federatedEvaluation?.accuracy),
        percent(last?.trainAccuracy),
        when(run.createdAt),
      ];
    });
  return table(['run', 'id', 'status', 'round', 'eval acc.', 'train acc.', 'created'], rows, {
    id: 'runs-table',
  });
}

/** Enrolled workers, who is online, and their updates accepted and refused, with reasons. */
export async function workersPage(ctx) {
  const body = h('section');
  ctx.main.append(h('header', { class: 'page-head' }, h('h1', {}, 'Workers')), body);
  return refreshing(ctx, async () => {
    const [workers, activity] = await Promise.all([
      getJson('/v1/workers', ctx.signal),
      getJson('/v1/workers/activity', ctx.signal),
    ]);
    body.replaceChildren(h('div', {}, workersView(workers, activity)));
  });
}

function workersView({ enrolled, online, offline }, activity) {
  const onlineBy = new Map(online.map((w) => [w.keyId, w]));
  const leftBy = new Map(offline.map((w) => [w.keyId, w.lastSeen]));
  const activityBy = new Map(activity.workers.map((w) => [w.keyId, w]));
  const enrolledBy = new Map(enrolled.map((w) => [w.keyId, w]));
  const keys = [...new Set([...enrolledBy.keys(), ...onlineBy.keys(), ...activityBy.keys()])];
  const rows = keys.map((keyId) => {
    const entry = enrolledBy.get(keyId);
    const seen = onlineBy.get(keyId);
    const done = activityBy.get(keyId);
    const state =
      entry === undefined ? 'not enrolled' : entry.revokedAt ? 'revoked' : seen ? 'online' : 'offline';
    return [
      entry
        ? h('span', {}, entry.name, entry.org ? h('span', { class: 'muted' }, ` · ${entry.org}`) : null)
        : '—',
      h('code', { title: keyId }, shortKey(keyId)),
      badge(state),
      lastSeen(seen, leftBy.get(keyId)),
      seen ? `${seen.backend}, ${seen.numExamples} examples` : '—',
      String(done?.accepted ?? 0),
      String(done?.rejected ?? 0),
      reasons(done?.rejections ?? []),
    ];
  });
  const order = { online: 0, offline: 1, revoked: 2, 'not enrolled': 3 };
  rows.sort((a, b) => order[a[2].textContent] - order[b[2].textContent]);
  const scope =
    activity.runs < activity.totalRuns
      ? `Updates counted over the latest ${activity.runs} of ${activity.totalRuns} runs.`
      : `Updates counted over ${activity.runs === 1 ? 'the one run' : `all ${activity.runs} runs`}.`;
  return [
    rows.length === 0
      ? notice('No worker is enrolled yet.')
      : table(
          ['worker', 'key', 'status', 'last seen', 'backend', 'accepted', 'refused', 'refusals by reason'],
          rows,
          { id: 'workers-table' },
        ),
    h('p', { class: 'muted' }, scope, ' A refused update counts under the key it claimed.'),
    h('h2', {}, 'Latest refusals'),
    activity.recentRejections.length === 0
      ? notice('No update has been refused.')
      : table(
          ['when', 'run', 'round', 'key claimed', 'code', 'reason'],
          activity.recentRejections.map((r) => [
            when(r.at),
            h('a', { href: `#/runs/${encodeURIComponent(r.runId)}` }, r.runId),
            String(r.round),
            h('code', { title: r.keyId }, shortKey(r.keyId)),
            h('code', {}, r.code),
            r.reason,
          ]),
          { id: 'rejections-table' },
        ),
  ];
}

/** When a worker was last seen: its latest ping while connected, or when it left. */
function lastSeen(online, leftAt) {
  if (online) return h('span', { title: when(online.lastSeen) }, ago(online.lastSeen));
  if (leftAt === undefined) return 'not connected';
  return h('span', { title: when(leftAt) }, `offline · last seen ${ago(leftAt)}`);
}

function reasons(rejections) {
  if (rejections.length === 0) return '—';
  return h(
    'ul',
    { class: 'reasons' },
    ...rejections.map((r) =>
      h('li', { title: r.lastReason }, h('code', {}, r.code), ` ×${r.count}: ${r.lastReason}`),
    ),
  );
}

/** The ledger's size, latest signed checkpoint, and how to verify it. */
export async function ledgerPage(ctx) {
  const body = h('section');
  ctx.main.append(h('header', { class: 'page-head' }, h('h1', {}, 'Ledger')), body);
  return refreshing(ctx, async () => {
    body.replaceChildren(h('div', {}, ledgerView(await getJson('/v1/ledger', ctx.signal))));
  });
}

function ledgerView({ origin, verifierKey, size, checkpoint }) {
  const covered = checkpoint === null ? 'no checkpoint signed yet' : `${checkpoint.size} of ${size} entries`;
  const key = `'${verifierKey}'`;
  const commands =
    `export SILO_TOKEN=…   # an auditor token\n` +
    `silo audit fetch --from ${location.origin} --out mirror --coordinator-key ${key}\n` +
    `silo audit verify mirror --coordinator-key ${key} --workers workers.jwks.json`;
  return [
    h(
      'dl',
      { class: 'facts', id: 'ledger-facts' },
      h('dt', {}, 'origin'),
      h('dd', {}, h('code', {}, origin)),
      h('dt', {}, 'entries'),
      h('dd', { id: 'ledger-size', 'data-size': String(size) }, String(size)),
      h('dt', {}, 'latest checkpoint covers'),
      h('dd', {}, covered),
      checkpoint === null ? null : [h('dt', {}, 'root hash'), h('dd', {}, h('code', {}, checkpoint.root))],
      h('dt', {}, 'verifier key'),
      h('dd', {}, h('code', {}, verifierKey)),
    ),
    checkpoint === null
      ? null
      : [h('h2', {}, 'Latest signed checkpoint'), h('pre', { id: 'checkpoint' }, checkpoint.note)],
    h('h2', {}, 'Verify it'),
    h(
      'p',
      {},
      'Mirror the ledger and check it offline, end to end: every signature, the Merkle tree, and every ' +
        'aggregate recomputed from the stored updates (see the auditor guide, docs/auditor.md). Pin the ' +
        'verifier key you got from the operator, not only the one shown here.',
    ),
    h('pre', { class: 'commands' }, commands),
    h(
      'button',
      { type: 'button', onclick: (event) => copy(event.currentTarget, commands) },
      'Copy the commands',
    ),
  ];
}

function copy(button, text) {
  navigator.clipboard.writeText(text).then(
    () => (button.textContent = 'Copied'),
    () => (button.textContent = 'Copy failed: select the text instead'),
  );
}
