// @ts-check
// An endpoint's delivery health (GET /v1/subscriptions/:id/stats): totals over a chosen window, a
// chart of deliveries that succeeded and failed per bucket and one of the latency, and the same
// figures as a table, which is what a screen reader reads.
import { api, query } from './api.js';
import { field, h, showError, when } from './dom.js';
import { deliveriesChart, latencyChart } from './chart.js';

/** The windows offered, each with a bucket size that keeps the chart legible. */
const WINDOWS = /** @type {const} */ ([
  { key: '1h', label: 'Last hour', ms: 3_600_000, bucket: '5m', per: '5 minutes' },
  { key: '24h', label: 'Last 24 hours', ms: 86_400_000, bucket: '1h', per: 'hour' },
  { key: '7d', label: 'Last 7 days', ms: 7 * 86_400_000, bucket: '6h', per: '6 hours' },
]);

/** @param {number | null} v */
const ms = (v) => (v === null ? '—' : `${v} ms`);
/** @param {number | null} r */
const pct = (r) => (r === null ? '—' : `${(r * 100).toFixed(1)}%`);

/** @param {string} base the subscription's API path */
export function renderStats(base) {
  const choice = /** @type {HTMLSelectElement} */ (h('select', {}, WINDOWS.map((w) => h('option', { value: w.key }, w.label))));
  choice.value = '24h';
  const body = h('div', { 'aria-live': 'polite' }, h('p', { class: 'loading' }, 'Loading…'));
  const section = h('section', { class: 'card', 'aria-labelledby': 'health-h', 'data-stats': 'loading' },
    h('h2', { id: 'health-h' }, 'Delivery health'),
    h('div', { class: 'filters' }, field('Window', choice)),
    body,
  );

  const load = async () => {
    const w = WINDOWS.find((x) => x.key === choice.value) ?? WINDOWS[1];
    section.setAttribute('data-stats', 'loading');
    try {
      const s = await api('GET', `${base}/stats${query({ since: new Date(Date.now() - w.ms).toISOString(), bucket: w.bucket })}`);
      body.replaceChildren(...present(s, w));
      section.setAttribute('data-stats', 'ready');
    } catch (err) {
      showError(body, err);
      section.setAttribute('data-stats', 'error');
    }
  };
  choice.addEventListener('change', () => void load());
  void load();
  return section;
}

/** @param {any} s the API's answer @param {typeof WINDOWS[number]} w */
function present(s, w) {
  const t = s.totals;
  const label = (/** @type {Date} */ d) =>
    w.key === '7d' ? d.toLocaleString(undefined, { month: 'short', day: 'numeric', hour: '2-digit' }) : d.toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit' });
  const totals = h('p', { 'data-stats-totals': true },
    h('strong', {}, `${t.deliveries} deliveries`), `: ${t.succeeded} succeeded, ${t.failed} failed (success rate ${pct(t.successRate)}) · `,
    `${t.attempts} attempts · latency p50 ${ms(t.latencyMs.p50)}, p95 ${ms(t.latencyMs.p95)}, p99 ${ms(t.latencyMs.p99)}`,
  );
  const busy = s.buckets.filter((/** @type {any} */ b) => b.attempts > 0);
  const table = busy.length === 0
    ? h('p', {}, 'No attempts in this window.')
    : h('div', { class: 'scroll' }, h('table', { 'data-stats-table': true },
      h('caption', {}, `Per ${w.per}, ${w.label.toLowerCase()} (periods without attempts left out)`),
      h('thead', {}, h('tr', {}, ['Period from', 'Succeeded', 'Failed', 'Attempts', 'Success rate', 'Latency p50', 'p95', 'p99'].map((c) => h('th', { scope: 'col' }, c)))),
      h('tbody', {}, busy.map((/** @type {any} */ b) => h('tr', { 'data-bucket': b.start },
        h('th', { scope: 'row' }, when(b.start)), h('td', {}, b.succeeded), h('td', {}, b.failed), h('td', {}, b.attempts),
        h('td', {}, pct(b.successRate)), h('td', {}, ms(b.latencyMs.p50)), h('td', {}, ms(b.latencyMs.p95)), h('td', {}, ms(b.latencyMs.p99)),
      ))),
    ));
  return [
    totals,
    h('figure', { class: 'chart-box' },
      deliveriesChart(s.buckets, `Deliveries per ${w.per}, ${w.label.toLowerCase()}`, `${t.succeeded} succeeded and ${t.failed} failed; the table below lists each period.`, label),
      h('figcaption', { class: 'legend' }, h('span', { class: 'key key-ok' }), 'Succeeded ', h('span', { class: 'key key-failed' }), 'Failed'),
    ),
    h('figure', { class: 'chart-box' },
      latencyChart(s.buckets, `Latency per ${w.per}, ${w.label.toLowerCase()}`, `p50 ${ms(t.latencyMs.p50)} and p95 ${ms(t.latencyMs.p95)} over the window; the table below lists each period.`, label),
      h('figcaption', { class: 'legend' }, h('span', { class: 'key key-p50' }), 'p50 ', h('span', { class: 'key key-p95' }), 'p95'),
    ),
    table,
  ];
}
