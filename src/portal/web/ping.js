// @ts-check
// A test ping (POST /v1/subscriptions/:id/test) and what the endpoint answered to it.
import { api, ApiError } from './api.js';
import { busy, field, h, showError } from './dom.js';
import { liveEventTypes } from './event-types.js';

const OUTCOME_WORDS = /** @type {Record<string, string>} */ ({
  succeeded: 'Delivered',
  failed: 'Failed',
  refused: 'Refused (address not allowed)',
  pending: 'No answer yet',
});

/** @param {string} base */
export function renderPing(base) {
  const result = h('div', { 'aria-live': 'polite' });
  const send = /** @type {HTMLButtonElement} */ (h('button', { type: 'button', class: 'secondary' }, 'Send test ping'));
  send.addEventListener('click', () => void busy(send, () => sendTest(base, {}, result)));
  const examples = h('div');
  void fillExamples(base, examples, result);
  return h('section', { class: 'card', 'aria-labelledby': 'ping-h' },
    h('h2', { id: 'ping-h' }, 'Test'),
    h('p', {}, 'Sends a signed hookflow.ping event to this endpoint alone and shows its answer.'),
    h('div', { class: 'actions' }, send),
    examples,
    result,
  );
}

/**
 * "Send an example": a published event type's example, delivered to this endpoint alone like a ping.
 * @param {string} base @param {HTMLElement} slot @param {HTMLElement} result
 */
async function fillExamples(base, slot, result) {
  /** @type {any[]} */
  let withExamples;
  try {
    withExamples = (await liveEventTypes()).filter((t) => t.examples.length > 0);
  } catch {
    return;
  }
  if (!withExamples.length) return;
  const select = /** @type {HTMLSelectElement} */ (h('select', { id: 'example-type' }, withExamples.map((t) => h('option', { value: t.name }, t.name))));
  const send = /** @type {HTMLButtonElement} */ (h('button', { type: 'button', class: 'secondary' }, 'Send example'));
  send.addEventListener('click', () => void busy(send, () => sendTest(base, { eventType: select.value }, result)));
  slot.replaceChildren(
    field('Event type', select, 'Sends its example from the event catalog, signed like a real event.'),
    h('div', { class: 'actions' }, send),
  );
}

/** @param {string} base @param {Record<string, unknown>} body @param {HTMLElement} result */
async function sendTest(base, body, result) {
  result.replaceChildren(h('p', {}, 'Sending…'));
  try {
    const r = await api('POST', `${base}/test`, body);
    result.replaceChildren(
      h('dl', { class: 'facts', 'data-ping': r.outcome },
        h('dt', {}, 'Result'), h('dd', {}, OUTCOME_WORDS[r.outcome] ?? r.outcome),
        h('dt', {}, 'Status code'), h('dd', {}, r.statusCode ?? '—'),
        h('dt', {}, 'Duration'), h('dd', {}, r.durationMs === null ? '—' : `${r.durationMs} ms`),
        r.error ? [h('dt', {}, 'Error'), h('dd', {}, r.error)] : null,
        r.responseBody ? [h('dt', {}, 'Response'), h('dd', {}, h('pre', {}, r.responseBody))] : null,
        h('dt', {}, 'Delivery'), h('dd', {}, h('a', { href: `/portal/deliveries/${encodeURIComponent(r.deliveryId)}`, 'data-nav': true }, r.deliveryId)),
      ),
    );
  } catch (err) {
    // A server without test pings (an older hookflow) has no such route.
    if (err instanceof ApiError && err.problem.status === 404 && /no route/.test(err.problem.detail)) {
      result.replaceChildren(h('p', { class: 'error', role: 'alert' }, 'Test pings are not available on this server.'));
    } else showError(result, err);
  }
}
