// @ts-check
// Endpoints: the tenant's subscriptions, and a form to add one.
import { api, query } from './api.js';
import { announce, busy, field, h, showError } from './dom.js';
import { liveEventTypes } from './event-types.js';
import { navigate } from './nav.js';

/** "a.b, c.*" → ["a.b", "c.*"]; empty means every event type. @param {string} v */
export const parseEventTypes = (v) => {
  const types = v.split(/[\s,]+/).filter(Boolean);
  return types.length ? types : ['*'];
};

/** @param {any} s */
export const endpointState = (s) =>
  s.active
    ? h('span', { class: 'badge s-succeeded', 'data-active': 'true' }, 'Enabled')
    : h('span', { class: 'badge s-discarded', 'data-active': 'false' }, s.disabledReason ? `Disabled (${s.disabledReason})` : 'Disabled');

/** @param {HTMLElement} main */
export async function renderEndpoints(main) {
  const errors = h('div');
  const body = h('tbody');
  const more = /** @type {HTMLButtonElement} */ (h('button', { type: 'button', class: 'secondary', hidden: true }, 'Show more'));
  /** @type {string | undefined} */
  let cursor;

  const row = (/** @type {any} */ s) =>
    h('tr', { 'data-endpoint': s.id },
      h('td', {}, h('a', { href: `/portal/endpoints/${encodeURIComponent(s.id)}`, 'data-nav': true }, s.url)),
      h('td', {}, s.description ?? ''),
      h('td', {}, s.eventTypes.join(', ')),
      h('td', {}, endpointState(s)),
    );

  async function load() {
    try {
      const page = await api('GET', `/v1/subscriptions${query({ limit: '50', cursor })}`);
      body.append(...page.data.map(row));
      if (!body.children.length) body.append(h('tr', {}, h('td', { colspan: 4 }, 'No endpoints yet. Add one below.')));
      cursor = page.nextCursor ?? undefined;
      more.hidden = !cursor;
    } catch (err) {
      showError(errors, err);
    }
  }
  more.addEventListener('click', () => void busy(more, load));

  const url = /** @type {HTMLInputElement} */ (h('input', { type: 'url', name: 'url', required: true, placeholder: 'https://example.com/webhooks', autocomplete: 'url' }));
  const types = /** @type {HTMLInputElement} */ (h('input', { type: 'text', name: 'eventTypes', value: '*' }));
  const description = /** @type {HTMLTextAreaElement} */ (h('textarea', { name: 'description', rows: 2, maxlength: 500 }));
  const picker = h('div');
  const submit = /** @type {HTMLButtonElement} */ (h('button', { type: 'submit' }, 'Add endpoint'));
  const formErrors = h('div');
  const form = h('form', { class: 'card', 'aria-labelledby': 'add-endpoint' },
    h('h2', { id: 'add-endpoint' }, 'Add an endpoint'),
    field('Endpoint URL', url),
    field('Event types', types, 'Comma-separated, such as invoice.paid or invoice.*; * receives every event type.'),
    picker,
    field('Description (optional)', description),
    formErrors,
    h('div', { class: 'actions' }, submit),
  );
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    void busy(submit, async () => {
      try {
        const created = await api('POST', '/v1/subscriptions', {
          url: url.value.trim(),
          eventTypes: parseEventTypes(types.value),
          ...(description.value.trim() ? { description: description.value.trim() } : {}),
        });
        announce(`Endpoint ${created.url} added.`);
        navigate(`/portal/endpoints/${encodeURIComponent(created.id)}`);
      } catch (err) {
        showError(formErrors, err);
      }
    });
  });

  main.replaceChildren(
    h('h1', {}, 'Endpoints'),
    h('p', { class: 'lede' }, 'Where your webhooks are sent. Each endpoint receives the event types it lists, signed with its own secret.'),
    errors,
    h('table', {},
      h('caption', { class: 'visually-hidden' }, 'Your endpoints'),
      h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'URL'), h('th', { scope: 'col' }, 'Description'), h('th', { scope: 'col' }, 'Event types'), h('th', { scope: 'col' }, 'State'))),
      body,
    ),
    more,
    form,
  );
  await Promise.all([load(), fillPicker(picker, types)]);
}

/**
 * Checkboxes for the published event types, kept in step with the text field (which stays the one
 * source of what is sent, so wildcards still work). No catalog, no checkboxes.
 * @param {HTMLElement} slot @param {HTMLInputElement} types
 */
async function fillPicker(slot, types) {
  /** @type {any[]} */
  let catalog;
  try {
    catalog = await liveEventTypes();
  } catch {
    return;
  }
  if (!catalog.length) return;
  const boxes = catalog.map((t, i) => {
    const box = /** @type {HTMLInputElement} */ (h('input', { type: 'checkbox', id: `pick-${i}`, value: t.name, 'data-pick': t.name }));
    box.addEventListener('change', () => {
      const chosen = new Set(parseEventTypes(types.value).filter((v) => v !== '*'));
      if (box.checked) chosen.add(t.name);
      else chosen.delete(t.name);
      types.value = chosen.size ? [...chosen].join(', ') : '*';
    });
    return h('div', { class: 'pick' }, box, ' ', h('label', { for: box.id }, h('code', {}, t.name)), t.description ? h('span', { class: 'hint' }, ` — ${t.description}`) : null);
  });
  slot.replaceChildren(h('fieldset', { class: 'picker' }, h('legend', {}, 'Pick from the event catalog'), boxes));
}
