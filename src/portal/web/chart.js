// @ts-check
// Two small inline SVG charts for the delivery-health section: deliveries per bucket (succeeded and
// failed, stacked) and latency per bucket (p50 and p95 lines). Built as elements, never as markup,
// and styled by class from the stylesheet (the CSP allows no inline style). Each is one image with a
// title and a description; the table beside it carries every figure for screen readers.

const NS = 'http://www.w3.org/2000/svg';
const W = 720;
const H = 170;
const PAD = { left: 48, right: 8, top: 8, bottom: 22 };
const PLOT_W = W - PAD.left - PAD.right;
const PLOT_H = H - PAD.top - PAD.bottom;

/** @param {string} tag @param {Record<string, string | number>} [attrs] @param {...(Node | string)} children */
function svg(tag, attrs = {}, ...children) {
  const el = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
  el.append(...children);
  return el;
}

/** @typedef {{ start: string, succeeded: number, failed: number, deliveries: number, latencyMs: { p50: number | null, p95: number | null } }} Bucket */

let chartCounter = 0;
/** The frame: a titled, described image with a y axis from 0 to `top` and start, middle and end times. @param {string} title @param {string} description @param {Bucket[]} buckets @param {number} top @param {string} unit @param {(d: Date) => string} label */
function frame(title, description, buckets, top, unit, label) {
  const id = `chart${++chartCounter}`;
  const root = svg('svg', { viewBox: `0 0 ${W} ${H}`, role: 'img', 'aria-labelledby': `${id}-t ${id}-d`, class: 'chart' },
    svg('title', { id: `${id}-t` }, title),
    svg('desc', { id: `${id}-d` }, description),
  );
  const y0 = PAD.top + PLOT_H;
  root.append(
    svg('line', { x1: PAD.left, x2: W - PAD.right, y1: y0, y2: y0, class: 'axis' }),
    svg('line', { x1: PAD.left, x2: W - PAD.right, y1: PAD.top, y2: PAD.top, class: 'grid' }),
    svg('text', { x: PAD.left - 6, y: PAD.top + 4, 'text-anchor': 'end' }, `${top}${unit}`),
    svg('text', { x: PAD.left - 6, y: y0 + 4, 'text-anchor': 'end' }, `0${unit}`),
  );
  const n = buckets.length;
  for (const [i, anchor] of /** @type {[number, string][]} */ ([[0, 'start'], [Math.floor(n / 2), 'middle'], [n - 1, 'end']])) {
    const b = buckets[i];
    // Three labels need three buckets; one bucket gets one label.
    if (!b || (anchor === 'middle' && n < 3) || (anchor === 'end' && n < 2)) continue;
    const x = anchor === 'start' ? PAD.left : anchor === 'end' ? W - PAD.right : PAD.left + ((i + 0.5) * PLOT_W) / n;
    root.append(svg('text', { x, y: H - 6, 'text-anchor': anchor }, label(new Date(b.start))));
  }
  return root;
}

/** A round number at or above v, so the axis reads well. @param {number} v */
function ceiling(v) {
  if (v <= 0) return 1;
  const p = 10 ** Math.floor(Math.log10(v));
  return [1, 2, 5, 10].map((m) => m * p).find((c) => c >= v) ?? 10 * p;
}

/** Succeeded (bottom) and failed (stacked on top) per bucket. @param {Bucket[]} buckets @param {string} title @param {string} description @param {(d: Date) => string} label */
export function deliveriesChart(buckets, title, description, label) {
  const top = ceiling(Math.max(0, ...buckets.map((b) => b.deliveries)));
  const root = frame(title, description, buckets, top, '', label);
  const slot = PLOT_W / Math.max(1, buckets.length);
  const width = Math.max(1, slot * 0.8);
  const scale = (/** @type {number} */ v) => (v / top) * PLOT_H;
  buckets.forEach((b, i) => {
    const x = PAD.left + i * slot + (slot - width) / 2;
    const ok = scale(b.succeeded);
    const bad = scale(b.failed);
    const base = PAD.top + PLOT_H;
    if (ok > 0) root.append(svg('rect', { x, y: base - ok, width, height: ok, class: 'bar-ok' }));
    if (bad > 0) root.append(svg('rect', { x, y: base - ok - bad, width, height: bad, class: 'bar-failed' }));
  });
  return root;
}

/** p50 and p95 per bucket, as lines broken where a bucket had no attempt. @param {Bucket[]} buckets @param {string} title @param {string} description @param {(d: Date) => string} label */
export function latencyChart(buckets, title, description, label) {
  const top = ceiling(Math.max(0, ...buckets.map((b) => b.latencyMs.p95 ?? 0)));
  const root = frame(title, description, buckets, top, ' ms', label);
  const slot = PLOT_W / Math.max(1, buckets.length);
  for (const [key, cls] of /** @type {['p50' | 'p95', string][]} */ ([['p50', 'line-p50'], ['p95', 'line-p95']])) {
    /** @type {[number, number][]} */
    let run = [];
    const flush = () => {
      const [first] = run;
      if (run.length === 1 && first) root.append(svg('circle', { cx: first[0].toFixed(1), cy: first[1].toFixed(1), r: 2.5, class: `dot ${cls}` }));
      else if (run.length > 1) root.append(svg('polyline', { points: run.map(([x, y]) => `${x.toFixed(1)},${y.toFixed(1)}`).join(' '), class: cls }));
      run = [];
    };
    buckets.forEach((b, i) => {
      const v = b.latencyMs[key];
      if (v === null) return flush();
      run.push([PAD.left + (i + 0.5) * slot, PAD.top + PLOT_H - (v / top) * PLOT_H]);
    });
    flush();
  }
  return root;
}
