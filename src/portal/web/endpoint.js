// @ts-check
// One endpoint: its delivery health, edit it, turn it off and on, its custom headers and payload
// filter, see and rotate its secret, ping it, recover what it missed, delete it.
import { api, ApiError, enc } from './api.js';
import { announce, busy, confirmAction, field, h, showError, when } from './dom.js';
import { endpointState, parseEventTypes } from './endpoints.js';
import { filterSection, headersSection } from './endpoint-controls.js';
import { renderPing } from './ping.js';
import { renderRecovery } from './recovery.js';
import { renderStats } from './stats.js';
import { orderingSelect, showLine } from './ordering.js';
import { navigate } from './nav.js';

/** @param {HTMLElement} main @param {string} id @param {number} gen */
export async function renderEndpoint(main, id, gen) {
  const base = `/v1/subscriptions/${enc(id)}`;
  /** @type {any} */
  let sub;
  try {
    sub = await api('GET', base);
  } catch (err) {
    main.replaceChildren(h('h1', {}, 'Endpoint'), h('div'));
    return showError(/** @type {Element} */ (main.lastChild), err);
  }

  const state = h('p', { class: 'state' });
  const showState = () => state.replaceChildren('State: ', endpointState(sub), sub.active ? '' : ' — nothing is sent to it until you enable it.');
  showState();

  // Edit.
  const url = /** @type {HTMLInputElement} */ (h('input', { type: 'url', required: true, value: sub.url }));
  const types = /** @type {HTMLInputElement} */ (h('input', { type: 'text', value: sub.eventTypes.join(', ') }));
  const description = /** @type {HTMLTextAreaElement} */ (h('textarea', { rows: 2, maxlength: 500 }));
  description.value = sub.description ?? '';
  // Throttle: empty means no limit of that kind; both empty removes the throttle.
  const perSecond = /** @type {HTMLInputElement} */ (h('input', { type: 'number', min: '0.01', max: '500', step: 'any', value: sub.throttle?.perSecond ?? '' }));
  const maxInFlight = /** @type {HTMLInputElement} */ (h('input', { type: 'number', min: '1', max: '1000', step: '1', value: sub.throttle?.maxInFlight ?? '' }));
  const heldBack = h('p', { class: 'hint' });
  const showHeldBack = async () => {
    try {
      const flow = await api('GET', `${base}/throttle`);
      heldBack.textContent = flow.throttled ? `Held back now: ${flow.waiting} deliveries wait for a slot, ${flow.inFlight} under way.` : '';
    } catch {
      heldBack.textContent = '';
    }
  };
  void showHeldBack();
  const ordering = orderingSelect(sub.ordering);
  const line = h('p', { class: 'hint', role: 'status' });
  void showLine(line, sub.id);
  const save = /** @type {HTMLButtonElement} */ (h('button', { type: 'submit' }, 'Save changes'));
  const editErrors = h('div');
  const edit = h('form', { class: 'card', 'aria-labelledby': 'edit-h' },
    h('h2', { id: 'edit-h' }, 'Settings'),
    field('Endpoint URL', url),
    field('Event types', types, 'Comma-separated; * receives every event type.'),
    field('Description', description),
    field('Requests per second (at most)', perSecond, 'Empty: no rate limit. Waiting deliveries use none of their retries.'),
    field('Requests at once (at most)', maxInFlight, 'Empty: no limit on concurrent requests.'),
    heldBack,
    field('Delivery order', ordering, 'In order: events accepted from now on arrive one at a time, in the order they were sent; a failed one holds the others back until it is resent or discarded.'),
    line,
    editErrors,
    h('div', { class: 'actions' }, save),
  );
  edit.addEventListener('submit', (e) => {
    e.preventDefault();
    void busy(save, async () => {
      try {
        const throttle = {
          ...(perSecond.value ? { perSecond: Number(perSecond.value) } : {}),
          ...(maxInFlight.value ? { maxInFlight: Number(maxInFlight.value) } : {}),
        };
        sub = await api('PATCH', base, {
          url: url.value.trim(),
          eventTypes: parseEventTypes(types.value),
          description: description.value.trim() || null,
          throttle: Object.keys(throttle).length > 0 ? throttle : null,
          ordering: ordering.value,
        });
        void showHeldBack();
        void showLine(line, sub.id);
        editErrors.replaceChildren();
        announce('Changes saved.');
      } catch (err) {
        showError(editErrors, err);
      }
    });
  });

  // Enable / disable.
  const toggleErrors = h('div');
  const toggle = /** @type {HTMLButtonElement} */ (h('button', { type: 'button', class: 'secondary' }));
  const labelToggle = () => (toggle.textContent = sub.active ? 'Disable endpoint' : 'Enable endpoint');
  labelToggle();
  toggle.addEventListener('click', () =>
    void busy(toggle, async () => {
      try {
        sub = await api('PATCH', base, { active: !sub.active });
        toggleErrors.replaceChildren();
        showState();
        labelToggle();
        announce(sub.active ? 'Endpoint enabled.' : 'Endpoint disabled.');
      } catch (err) {
        showError(toggleErrors, err);
      }
    }),
  );

  // Delete.
  const remove = /** @type {HTMLButtonElement} */ (h('button', { type: 'button', class: 'danger' }, 'Delete endpoint'));
  remove.addEventListener('click', () =>
    void busy(remove, async () => {
      if (!(await confirmAction(`Delete the endpoint ${sub.url}? Deliveries still waiting for it are discarded.`, 'Delete'))) return;
      try {
        await api('DELETE', base);
        announce(`Endpoint ${sub.url} deleted.`);
        navigate('/portal/endpoints');
      } catch (err) {
        showError(toggleErrors, err);
      }
    }),
  );

  main.replaceChildren(
    h('h1', {}, 'Endpoint'),
    h('p', { class: 'lede' }, h('code', { class: 'url' }, sub.url)),
    state,
    h('p', {}, 'Created ', when(sub.createdAt), ' · ', h('a', { href: `/portal/deliveries?subscriptionId=${enc(sub.id)}`, 'data-nav': true }, 'Deliveries to this endpoint')),
    h('div', { class: 'actions' }, toggle, remove),
    toggleErrors,
    renderStats(base),
    edit,
    headersSection(base, sub, (saved) => (sub = saved)),
    filterSection(base, sub, (saved) => (sub = saved)),
    secretSection(base),
    renderPing(base),
    renderRecovery(base, gen),
  );
}

/** The signing secret: hidden until asked for; rotation keeps the old one valid for a day. @param {string} base */
function secretSection(base) {
  const shown = h('p', { class: 'secret', hidden: true });
  const errors = h('div');
  const reveal = /** @type {HTMLButtonElement} */ (h('button', { type: 'button', class: 'secondary', 'aria-expanded': 'false' }, 'Reveal secret'));
  const rotate = /** @type {HTMLButtonElement} */ (h('button', { type: 'button', class: 'secondary' }, 'Rotate secret'));
  /** @param {string} secret @param {string} [note] */
  const show = (secret, note) => {
    shown.replaceChildren(h('code', { 'data-secret': true }, secret), note ? h('span', { class: 'hint' }, ` ${note}`) : '');
    shown.hidden = false;
    reveal.textContent = 'Hide secret';
    reveal.setAttribute('aria-expanded', 'true');
  };
  reveal.addEventListener('click', () =>
    void busy(reveal, async () => {
      if (!shown.hidden) {
        shown.hidden = true;
        shown.replaceChildren();
        reveal.textContent = 'Reveal secret';
        reveal.setAttribute('aria-expanded', 'false');
        return;
      }
      try {
        show((await api('GET', `${base}/secret`)).secret);
        errors.replaceChildren();
      } catch (err) {
        showError(errors, err);
      }
    }),
  );
  rotate.addEventListener('click', () =>
    void busy(rotate, async () => {
      if (!(await confirmAction('Rotate the signing secret? Requests are signed with both secrets for 24 hours, then only with the new one.', 'Rotate'))) return;
      try {
        show((await api('POST', `${base}/secret/rotate`, {})).secret, 'New secret. The previous one stays valid for 24 hours.');
        errors.replaceChildren();
        announce('Secret rotated.');
      } catch (err) {
        showError(errors, err instanceof ApiError ? err : String(err));
      }
    }),
  );
  return h('section', { class: 'card', 'aria-labelledby': 'secret-h' },
    h('h2', { id: 'secret-h' }, 'Signing secret'),
    h('p', {}, 'Verify each webhook with this secret (Standard Webhooks signatures).'),
    h('div', { class: 'actions' }, reveal, rotate),
    shown,
    errors,
  );
}
