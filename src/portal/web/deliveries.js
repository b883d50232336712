// @ts-check
// The delivery log: newest first, filtered by state, endpoint, event type and time. The filters
// live in the address, so a filtered view can be bookmarked and Back works.
import { api, query } from './api.js';
import { busy, field, h, isoToLocal, localToIso, showError, stateBadge, when } from './dom.js';
import { navigate, pause } from './nav.js';

const STATES = [['', 'Any state'], ['succeeded', 'Delivered'], ['retrying', 'Retrying'], ['dead_lettered', 'Failed'], ['delivering', 'Delivering'], ['scheduled', 'Scheduled'], ['discarded', 'Discarded']];
// The first page refreshes itself every few seconds, for at most this many times (ten minutes).
const REFRESH_MS = 3000;
const MAX_REFRESHES = 200;

/** @param {HTMLElement} main @param {URLSearchParams} params @param {number} gen */
export async function renderDeliveries(main, params, gen) {
  const filters = {
    status: params.get('status') ?? '',
    subscriptionId: params.get('subscriptionId') ?? '',
    eventType: params.get('eventType') ?? '',
    since: params.get('since') ?? '',
    until: params.get('until') ?? '',
  };
  const errors = h('div');
  const body = h('tbody');
  const more = /** @type {HTMLButtonElement} */ (h('button', { type: 'button', class: 'secondary', hidden: true }, 'Show older deliveries'));
  /** @type {Map<string, string>} */
  const endpointUrls = new Map();
  /** @type {string | undefined} */
  let cursor;
  let pagesShown = 0;

  const status = /** @type {HTMLSelectElement} */ (h('select', { name: 'status' }, STATES.map(([v, label]) => h('option', { value: v, selected: v === filters.status }, label))));
  const endpoint = /** @type {HTMLSelectElement} */ (h('select', { name: 'subscriptionId' }, h('option', { value: '' }, 'Any endpoint')));
  const eventType = /** @type {HTMLInputElement} */ (h('input', { type: 'text', name: 'eventType', value: filters.eventType, placeholder: 'invoice.paid' }));
  const since = /** @type {HTMLInputElement} */ (h('input', { type: 'datetime-local', name: 'since', value: isoToLocal(filters.since) }));
  const until = /** @type {HTMLInputElement} */ (h('input', { type: 'datetime-local', name: 'until', value: isoToLocal(filters.until) }));
  const form = h('form', { class: 'filters', role: 'search', 'aria-label': 'Filter deliveries' },
    field('State', status), field('Endpoint', endpoint), field('Event type', eventType), field('From', since), field('Until', until),
    h('div', { class: 'actions' }, h('button', { type: 'submit' }, 'Apply filters'), h('a', { href: '/portal/deliveries', 'data-nav': true }, 'Clear')),
  );
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    navigate(`/portal/deliveries${query({ status: status.value, subscriptionId: endpoint.value, eventType: eventType.value.trim(), since: localToIso(since.value), until: localToIso(until.value) })}`);
  });

  const row = (/** @type {any} */ d) =>
    h('tr', { 'data-delivery': d.id, 'data-state': d.status },
      h('td', {}, when(d.startedAt)),
      h('td', {}, d.eventType),
      h('td', {}, endpointUrls.get(d.subscriptionId) ?? d.subscriptionId),
      h('td', {}, stateBadge(d.status)),
      h('td', {}, h('a', { href: `/portal/deliveries/${encodeURIComponent(d.id)}`, 'data-nav': true, 'aria-label': `Details of delivery ${d.id}` }, 'Details')),
    );

  /** @param {boolean} fresh the first page again (a refresh) rather than the next one */
  async function load(fresh) {
    try {
      const page = await api('GET', `/v1/deliveries${query({ ...filters, limit: '25', cursor: fresh ? undefined : cursor })}`);
      errors.replaceChildren();
      if (fresh) body.replaceChildren();
      body.append(...page.data.map(row));
      if (!body.children.length) body.append(h('tr', {}, h('td', { colspan: 5 }, 'No deliveries match.')));
      cursor = page.nextCursor ?? undefined;
      more.hidden = !cursor;
      pagesShown = fresh ? 1 : pagesShown + 1;
    } catch (err) {
      showError(errors, err);
    }
  }
  more.addEventListener('click', () => void busy(more, () => load(false)));
  const refresh = /** @type {HTMLButtonElement} */ (h('button', { type: 'button', class: 'secondary' }, 'Refresh'));
  refresh.addEventListener('click', () => void busy(refresh, () => load(true)));

  main.replaceChildren(
    h('h1', {}, 'Deliveries'),
    h('p', { class: 'lede' }, 'Every webhook sent to your endpoints, newest first. Open one to see each attempt and what your endpoint answered.'),
    form,
    errors,
    h('div', { class: 'actions' }, refresh),
    h('table', {},
      h('caption', { class: 'visually-hidden' }, 'Deliveries, newest first'),
      h('thead', {}, h('tr', {}, ['Created', 'Event type', 'Endpoint', 'State', 'Details'].map((c) => h('th', { scope: 'col' }, c)))),
      body,
    ),
    more,
  );

  try {
    const subs = await api('GET', '/v1/subscriptions?limit=100');
    for (const s of subs.data) {
      endpointUrls.set(s.id, s.url);
      endpoint.append(h('option', { value: s.id, selected: s.id === filters.subscriptionId }, s.url));
    }
  } catch (err) {
    showError(errors, err);
  }
  await load(true);
  // Keep the newest page current while it is shown and the reader has not paged further.
  void (async () => {
    for (let i = 0; i < MAX_REFRESHES && (await pause(gen, REFRESH_MS)); i++) if (pagesShown === 1 && !document.hidden) await load(true);
  })();
}
