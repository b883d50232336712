// @ts-check
// One delivery: its rounds and every attempt (status code, duration, error, response excerpt), the
// event's body, and redelivery.
import { api, enc } from './api.js';
import { announce, busy, h, showError, stateBadge, when } from './dom.js';
import { pause } from './nav.js';

const OPEN = new Set(['scheduled', 'delivering', 'retrying']);
// While the delivery is in flight the page re-reads it every second, at most this many times.
const MAX_POLLS = 120;
const ATTEMPT_PAGES = 10;

/** @param {HTMLElement} main @param {string} id @param {number} gen */
export async function renderDelivery(main, id, gen) {
  const base = `/v1/deliveries/${enc(id)}`;
  const errors = h('div');
  const summary = h('div');
  const rounds = h('div');
  const attempts = h('div');
  const eventBody = h('div');
  const redeliver = /** @type {HTMLButtonElement} */ (h('button', { type: 'button' }, 'Redeliver'));
  let polling = false;

  /** @returns {Promise<any>} */
  async function refresh() {
    const d = await api('GET', base);
    summary.replaceChildren(
      h('dl', { class: 'facts' },
        h('dt', {}, 'State'), h('dd', { 'data-delivery-state': d.state }, stateBadge(d.state)),
        h('dt', {}, 'Event type'), h('dd', {}, d.eventType),
        h('dt', {}, 'Endpoint'), h('dd', {}, h('a', { href: `/portal/endpoints/${enc(d.subscriptionId)}`, 'data-nav': true }, d.subscriptionId)),
        h('dt', {}, 'Attempts'), h('dd', {}, String(d.attempts)),
        d.nextAttemptAt ? [h('dt', {}, 'Next attempt'), h('dd', {}, when(d.nextAttemptAt))] : null,
        d.deadLetteredAt ? [h('dt', {}, 'Failed at'), h('dd', {}, when(d.deadLetteredAt))] : null,
        d.completedAt ? [h('dt', {}, 'Finished'), h('dd', {}, when(d.completedAt))] : null,
      ),
    );
    rounds.replaceChildren(table('Rounds', ['Round', 'Why', 'Started', 'Ended', 'Attempts', 'Outcome', 'Last status', 'Last error'],
      d.rounds.map((/** @type {any} */ r) => [r.round, r.trigger, when(r.startedAt), when(r.endedAt), r.attempts, r.outcome ?? 'in progress', r.lastStatusCode ?? '—', r.lastError ?? '']),
    ));
    attempts.replaceChildren(await attemptsTable(base));
    return d;
  }

  /** Re-reads the delivery every second while it is in flight (bounded), so a redelivery is seen to finish. @param {any} d */
  async function follow(d) {
    if (polling) return;
    polling = true;
    try {
      for (let i = 0; OPEN.has(d.state) && i < MAX_POLLS && (await pause(gen, 1000)); i++) d = await refresh();
    } finally {
      polling = false;
    }
  }

  redeliver.addEventListener('click', () =>
    void busy(redeliver, async () => {
      try {
        await api('POST', `${base}/redeliver`, {});
        errors.replaceChildren();
        announce('Redelivery started.');
        const d = await refresh();
        void follow(OPEN.has(d.state) ? d : { state: 'scheduled' });
      } catch (err) {
        showError(errors, err);
      }
    }),
  );

  main.replaceChildren(
    h('h1', {}, 'Delivery'),
    h('p', { class: 'lede' }, h('code', {}, id)),
    errors,
    summary,
    h('div', { class: 'actions' }, redeliver),
    h('section', { 'aria-labelledby': 'rounds-h' }, h('h2', { id: 'rounds-h' }, 'Rounds'), rounds),
    h('section', { 'aria-labelledby': 'attempts-h' }, h('h2', { id: 'attempts-h' }, 'Attempts'), attempts),
    h('section', { 'aria-labelledby': 'event-h' }, h('h2', { id: 'event-h' }, 'Event'), eventBody),
  );
  let d;
  try {
    d = await refresh();
  } catch (err) {
    redeliver.hidden = true;
    return showError(errors, err);
  }
  try {
    const e = await api('GET', `/v1/events/${enc(d.eventId)}`);
    eventBody.replaceChildren(
      h('p', {}, h('code', {}, e.id), ' · ', e.type, ' · accepted ', when(e.createdAt)),
      h('pre', { class: 'json', 'data-event-body': true, tabindex: 0, 'aria-label': 'Event body' }, JSON.stringify(e.data, null, 2)),
    );
  } catch (err) {
    showError(eventBody, err);
  }
  void follow(d);
}

/** Every attempt, oldest first (up to ATTEMPT_PAGES pages of 100). @param {string} base */
async function attemptsTable(base) {
  /** @type {any[]} */
  const all = [];
  let cursor;
  for (let i = 0; i < ATTEMPT_PAGES; i++) {
    const page = await api('GET', `${base}/attempts?limit=100${cursor ? `&cursor=${enc(cursor)}` : ''}`);
    all.push(...page.data);
    cursor = page.nextCursor;
    if (!cursor) break;
  }
  return table('Attempts', ['Round', 'Attempt', 'Started', 'Status code', 'Duration', 'Outcome', 'Error', 'Response'],
    all.map((a) => [
      a.round,
      a.attempt,
      when(a.startedAt),
      a.statusCode ?? '—',
      `${a.durationMs} ms`,
      a.outcome,
      a.errorMessage ? `${a.errorClass ? `${a.errorClass}: ` : ''}${a.errorMessage}` : '',
      a.responseBody
        ? h('div', {},
          h('pre', { class: 'excerpt' }, a.responseBody.length > 500 ? `${a.responseBody.slice(0, 500)}…` : a.responseBody),
          // The endpoint sent bytes that are not text (a NUL, invalid UTF-8): say what was replaced.
          a.responseBodyNote ? h('small', {}, a.responseBodyNote) : '')
        : '',
    ]),
    'data-attempts',
  );
}

/**
 * @param {string} caption
 * @param {string[]} columns
 * @param {(string | number | Node)[][]} rows
 * @param {string} [marker] a data- attribute naming the table for tests and styles
 */
function table(caption, columns, rows, marker) {
  // Focusable so a keyboard can scroll a table wider than the screen; its section names it.
  return h('div', { class: 'scroll', tabindex: 0 },
    h('table', marker ? { [marker]: true } : {},
      h('caption', { class: 'visually-hidden' }, caption),
      h('thead', {}, h('tr', {}, columns.map((c) => h('th', { scope: 'col' }, c)))),
      h('tbody', {}, rows.length ? rows.map((r) => h('tr', {}, r.map((c) => h('td', {}, c)))) : h('tr', {}, h('td', { colspan: columns.length }, 'None yet.'))),
    ),
  );
}
