// @ts-check
// An endpoint's delivery order: the setting, and what holds its FIFO line right now.
import { api, enc } from './api.js';
import { h } from './dom.js';

/** The `ordering` setting as a select, with the choices the API takes. @param {string} value */
export function orderingSelect(value) {
  return /** @type {HTMLSelectElement} */ (
    h('select', { name: 'ordering' },
      h('option', { value: 'none', selected: value !== 'fifo' }, 'Any order (fastest)'),
      h('option', { value: 'fifo', selected: value === 'fifo' }, 'In order (FIFO): one at a time, each after the one before succeeded'),
    )
  );
}

/**
 * Fills `target` with the line's state: who holds it, whether a dead letter blocks it, how many wait.
 * @param {HTMLElement} target @param {string} subscriptionId
 */
export async function showLine(target, subscriptionId) {
  try {
    const line = await api('GET', `/v1/subscriptions/${enc(subscriptionId)}/ordering`);
    if (!line.head) {
      target.replaceChildren(line.ordering === 'fifo' && line.behind === 0 ? 'In order: nothing waits.' : '');
      return;
    }
    const link = h('a', { href: `/portal/deliveries/${enc(line.head.deliveryId)}`, 'data-nav': true }, line.head.deliveryId);
    target.replaceChildren(
      ...(line.blocked
        ? ['Blocked: delivery ', link, ` failed every attempt; ${line.behind} wait behind it. Resend it once the endpoint works, or discard it, to let the line move on.`]
        : ['In order: delivery ', link, ` is under way; ${line.behind} wait behind it.`]),
    );
  } catch {
    target.replaceChildren();
  }
}
