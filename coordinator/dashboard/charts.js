// Per-round line charts on uPlot (https://github.com/leeoniya/uPlot, MIT), which the coordinator
// serves from its installed npm package as a classic script defining the global `uPlot`.

import { h } from './dom.js';

const uPlot = globalThis.uPlot;

/** Round numbers are whole: ticks only at these steps. */
const ROUND_STEPS = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000, 20000, 50000, 100000];

const HEIGHT = 220;

/**
 * A chart of values per round. `series` are `{ label, color, value(summary), dash? }`: `value`
 * returns a number, or null where the round has none (a gap the line spans). The container's
 * `data-points` attribute holds the number of rounds plotted, for tests and for curious users.
 */
export class RoundChart {
  #options;
  #plot;
  #box;
  #figure;
  #note;
  /** The series drawn: those with a value in some round (a run without evaluation has no such line). */
  #shown = [];

  constructor({ id, title, unit, series, format = (v) => v.toFixed(3), range }) {
    this.#options = { title, unit, series, format, range };
    this.#box = h('div', { class: 'chart-plot' });
    this.#note = h('p', { class: 'chart-empty' }, 'no closed rounds yet');
    this.#figure = h(
      'figure',
      { class: 'chart', id, 'data-points': '0' },
      h('figcaption', {}, title, unit ? h('span', { class: 'unit' }, ` (${unit})`) : null),
      this.#box,
      this.#note,
    );
  }

  /** The chart's element, to put in the page before the first {@link update}. */
  get element() {
    return this.#figure;
  }

  /** Plots `summaries` (one per closed round, in round order). */
  update(summaries) {
    const { series } = this.#options;
    const values = series.map((line) => summaries.map((s) => numberOrNull(line.value(s))));
    const present = series.filter((_, i) => values[i].some((v) => v !== null));
    const shown = present.length > 0 ? present : series.slice(0, 1);
    if (shown.length !== this.#shown.length || shown.some((line, i) => line !== this.#shown[i])) {
      // uPlot's series are fixed when it is built: a line that appears means a new chart.
      this.destroy();
      this.#shown = shown;
    }
    const data = [summaries.map((s) => s.round), ...shown.map((line) => values[series.indexOf(line)])];
    if (this.#plot === undefined) this.#plot = new uPlot(this.#uPlotOptions(), data, this.#box);
    else this.#plot.setData(data);
    this.#figure.dataset.points = String(summaries.length);
    this.#note.hidden = summaries.length > 0;
  }

  /** Fits the chart to its container's width. */
  resize() {
    this.#plot?.setSize({ width: this.#width(), height: HEIGHT });
  }

  destroy() {
    this.#plot?.destroy();
    this.#plot = undefined;
  }

  #width() {
    return Math.max(240, this.#box.clientWidth || this.#figure.clientWidth || 480);
  }

  #uPlotOptions() {
    const { format, range, unit } = this.#options;
    const series = this.#shown;
    // Away from the cursor the legend shows each line's latest value rather than nothing.
    const latest = (u, seriesIdx) => u.data[seriesIdx]?.findLast((v) => v !== null && v !== undefined);
    const show = (u, value, seriesIdx, idx) => {
      const shown = idx === null || idx === undefined ? latest(u, seriesIdx) : value;
      return shown === null || shown === undefined ? '—' : format(shown);
    };
    return {
      width: this.#width(),
      height: HEIGHT,
      scales: { x: { time: false }, y: range === undefined ? {} : { range } },
      cursor: { drag: { x: false, y: false } },
      legend: { live: true },
      series: [
        {
          label: 'round',
          value: (u, v, _s, idx) => {
            const round = idx === null || idx === undefined ? latest(u, 0) : v;
            return round === null || round === undefined ? '—' : String(round);
          },
        },
        ...series.map((line) => ({
          label: line.label,
          stroke: line.color,
          width: 2,
          dash: line.dash,
          spanGaps: true,
          points: { show: true, size: 5, fill: line.color },
          value: show,
        })),
      ],
      axes: [
        { label: 'round', incrs: ROUND_STEPS, values: (_u, ticks) => ticks.map((t) => String(t)) },
        { label: unit ?? '', size: 64, values: (_u, ticks) => ticks.map((t) => format(t)) },
      ],
    };
  }
}

function numberOrNull(value) {
  return typeof value === 'number' && Number.isFinite(value) ? value : null;
}
