// @ts-check
// A test ping (POST /v1/subscriptions/:id/test) and what the endpoint answered to it.
import { api, ApiError } from './api.js';
import { busy, h, showError } from './dom.js';

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
  send.addEventListener('click', () =>
    void busy(send, async () => {
      result.replaceChildren(h('p', {}, 'Sending…'));
      try {
        const r = await api('POST', `${base}/test`, {});
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
    }),
  );
  return h('section', { class: 'card', 'aria-labelledby': 'ping-h' },
    h('h2', { id: 'ping-h' }, 'Test'),
    h('p', {}, 'Sends a signed hookflow.ping event to this endpoint alone and shows its answer.'),
    h('div', { class: 'actions' }, send),
    result,
  );
}
