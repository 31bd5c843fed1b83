// The run page: the run's status and round counter, charts per round, and the latest rounds,
// kept current by the run's event stream (GET /v1/runs/<id>/events).

import { ApiError, getJson, readEvents } from './api.js';
import { RoundChart } from './charts.js';
import { badge, duration, fixed, h, notice, percent, table, when } from './dom.js';

/** A stream that sends nothing for this long (heartbeats come every 15 s) is presumed dead. */
const SILENCE_MS = 45_000;
const RECONNECT_MS = { first: 1_000, max: 15_000 };
const TABLE_ROUNDS = 10;

const COLORS = { train: '#2563eb', eval: '#dc2626', federated: '#059669', refused: '#d97706' };
const BYTES_PER_MB = 1e6;

function charts(hasPrivacy) {
  const asPercent = (v) => `${(v * 100).toFixed(1)}%`;
  const list = [
    new RoundChart({
      id: 'chart-loss',
      title: 'Loss',
      series: [
        { label: 'train', color: COLORS.train, value: (s) => s.trainLoss },
        { label: 'evaluation', color: COLORS.eval, value: (s) => s.evalLoss },
        { label: 'federated evaluation', color: COLORS.federated, value: (s) => s.federatedEvaluation?.loss },
      ],
    }),
    new RoundChart({
      id: 'chart-accuracy',
      title: 'Accuracy',
      format: asPercent,
      series: [
        { label: 'train', color: COLORS.train, value: (s) => s.trainAccuracy },
        { label: 'evaluation', color: COLORS.eval, value: (s) => s.evalAccuracy },
        {
          label: 'federated evaluation',
          color: COLORS.federated,
          value: (s) => s.federatedEvaluation?.accuracy,
        },
      ],
    }),
    new RoundChart({
      id: 'chart-workers',
      title: 'Updates per round',
      unit: 'workers',
      format: (v) => v.toFixed(0),
      series: [
        { label: 'accepted', color: COLORS.train, value: (s) => s.numUpdates },
        { label: 'refused', color: COLORS.refused, value: (s) => s.rejected },
      ],
    }),
    new RoundChart({
      id: 'chart-bytes',
      title: 'Bytes moved per round',
      unit: 'MB',
      format: (v) => v.toFixed(2),
      series: [
        { label: 'in: updates', color: COLORS.train, value: (s) => megabytes(s.bytesIn) },
        { label: 'out: models', color: COLORS.federated, value: (s) => megabytes(s.bytesOut) },
      ],
    }),
    new RoundChart({
      id: 'chart-duration',
      title: 'Round duration',
      unit: 's',
      format: (v) => v.toFixed(1),
      series: [{ label: 'open to closed', color: COLORS.train, value: (s) => s.durationMs / 1000 }],
    }),
  ];
  if (hasPrivacy) list.splice(2, 0, epsilonChart());
  return list;
}

/** Bytes as MB; rounds stored before bytes were counted have none. */
function megabytes(bytes) {
  return typeof bytes === 'number' ? bytes / BYTES_PER_MB : null;
}

function epsilonChart() {
  return new RoundChart({
    id: 'chart-epsilon',
    title: 'Privacy spent (ε)',
    series: [{ label: 'ε so far', color: COLORS.eval, value: (s) => s.privacy?.epsilon }],
  });
}

/** Renders the run page for `runId` into `ctx.main`; returns what stops it. */
export async function runPage(ctx, runId) {
  const path = `/v1/runs/${encodeURIComponent(runId)}`;
  const view = await getJson(path, ctx.signal);
  const rounds = new Map(view.history.map((s) => [s.round, s]));
  const sorted = () => [...rounds.values()].sort((a, b) => a.round - b.round);
  const run = { status: view.status, round: view.round, rounds: view.rounds };

  const status = h('span', { id: 'run-status' });
  const counter = h('strong', { id: 'round-counter' });
  const total = h('span');
  const phase = h('p', { id: 'run-phase', class: 'phase' });
  const live = h('span', { id: 'live', class: 'live' });
  const message = h('div');
  const chartList = charts(view.history.some((s) => s.privacy !== undefined));
  const grid = h('div', { class: 'charts' }, ...chartList.map((c) => c.element));
  const latest = h('section', { class: 'rounds' });

  ctx.main.append(
    h(
      'header',
      { class: 'page-head' },
      h('h1', {}, view.name, ' ', h('span', { class: 'run-id' }, view.id)),
      h('p', { class: 'run-line' }, status, ' Round ', counter, total, ' ', live),
      phase,
      message,
    ),
    grid,
    latest,
  );

  const showRun = () => {
    status.replaceChildren(badge(run.status));
    counter.textContent = String(run.round);
    counter.dataset.round = String(run.round);
    total.textContent = ` of ${run.rounds}`;
    const lines = [];
    if (run.error) lines.push(notice(run.error, 'error'));
    if (run.reason) lines.push(notice(run.reason, 'info'));
    message.replaceChildren(...lines);
  };
  const redraw = () => {
    const summaries = sorted();
    if (!chartList.some((c) => c.element.id === 'chart-epsilon') && summaries.some((s) => s.privacy)) {
      const chart = epsilonChart();
      chartList.splice(2, 0, chart);
      grid.insertBefore(chart.element, grid.children[2] ?? null);
    }
    for (const chart of chartList) chart.update(summaries);
    latest.replaceChildren(h('h2', {}, 'Latest rounds'), roundsTable(summaries));
  };
  showRun();
  redraw();
  const onResize = () => chartList.forEach((c) => c.resize());
  window.addEventListener('resize', onResize);

  const handle = ({ event, data }) => {
    const body = JSON.parse(data);
    switch (event) {
      case 'run':
        Object.assign(run, { status: body.status, round: body.round, rounds: body.rounds });
        run.error = body.error;
        run.reason = body.reason;
        showRun();
        break;
      case 'round-opened':
        run.round = Math.max(run.round, body.round);
        phase.textContent = `Round ${body.round} is collecting updates from ${body.sampled} sampled workers.`;
        showRun();
        break;
      case 'round-retried':
        phase.textContent =
          `Round ${body.round} missed its quorum at the deadline: retry ${body.attempt}, ` +
          `${body.added} more workers sampled.`;
        break;
      case 'round-closed':
        rounds.set(body.round, { ...rounds.get(body.round), ...body });
        phase.textContent = `Round ${body.round} closed with ${body.numUpdates} updates.`;
        redraw();
        break;
      case 'evaluation': {
        const summary = rounds.get(body.round);
        if (summary !== undefined) {
          summary.federatedEvaluation = body.federatedEvaluation;
          redraw();
        }
        break;
      }
      case 'run-ended':
        run.status = body.status;
        phase.textContent = `The run ended: ${body.status}.`;
        showRun();
        break;
    }
  };

  const stop = new AbortController();
  const lastRound = () => Math.max(0, ...rounds.keys());
  const setLive = (state) => {
    live.textContent = state;
    live.dataset.state = state;
  };
  follow({
    path,
    stop: stop.signal,
    handle,
    lastRound,
    setLive,
    fail: ctx.fail,
    isOver: () => run.status !== 'running',
  });

  return () => {
    stop.abort();
    window.removeEventListener('resize', onResize);
    chartList.forEach((c) => c.destroy());
  };
}

/** Follows the run's event stream, reconnecting with backoff until the run is over or the page left. */
function follow({ path, stop, handle, lastRound, setLive, fail, isOver }) {
  const loop = async () => {
    let delay = RECONNECT_MS.first;
    while (!stop.aborted && !isOver()) {
      const attempt = new AbortController();
      const abort = () => attempt.abort();
      stop.addEventListener('abort', abort, { once: true });
      let silence;
      const heard = () => {
        clearTimeout(silence);
        silence = setTimeout(abort, SILENCE_MS);
      };
      try {
        setLive('connecting');
        heard();
        await readEvents(`${path}/events?after=${lastRound()}`, {
          signal: attempt.signal,
          onMessage: handle,
          onActivity: () => {
            heard();
            setLive('live');
            delay = RECONNECT_MS.first;
          },
        });
      } catch (err) {
        if (err instanceof ApiError) {
          fail(err);
          return;
        }
      } finally {
        clearTimeout(silence);
        stop.removeEventListener('abort', abort);
      }
      if (stop.aborted || isOver()) break;
      setLive('reconnecting');
      await new Promise((resolve) => {
        const timer = setTimeout(resolve, delay);
        stop.addEventListener('abort', () => (clearTimeout(timer), resolve()), { once: true });
      });
      delay = Math.min(delay * 2, RECONNECT_MS.max);
    }
    if (!stop.aborted) setLive('ended');
  };
  loop().catch((err) => fail(err));
}

function roundsTable(summaries) {
  if (summaries.length === 0) return notice('No round has closed yet.');
  const rows = summaries
    .slice(-TABLE_ROUNDS)
    .reverse()
    .map((s) => {
      const fed = s.federatedEvaluation;
      return [
        String(s.round),
        String(s.numUpdates),
        String(s.rejected),
        fixed(s.trainLoss),
        percent(s.trainAccuracy),
        percent(s.evalAccuracy),
        fed ? `${percent(fed.accuracy)} (${percent(fed.minAccuracy)}–${percent(fed.maxAccuracy)})` : '—',
        s.privacy ? fixed(s.privacy.epsilon, 4) : '—',
        duration(s.durationMs),
        when(s.closedAt),
      ];
    });
  return table(
    [
      'round',
      'accepted',
      'refused',
      'train loss',
      'train acc.',
      'eval acc.',
      'federated eval acc. (min–max)',
      'ε',
      'duration',
      'closed',
    ],
    rows,
    { id: 'rounds-table' },
  );
}
