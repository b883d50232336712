// @ts-check
// The event catalog as customers read it: which events they can subscribe to and what is in them.
import { api, enc, query } from './api.js';
import { h, showError, when } from './dom.js';

/** Every non-deprecated event type (the catalog is small; pages are followed to a bound). */
export async function liveEventTypes() {
  /** @type {any[]} */
  const all = [];
  /** @type {string | undefined} */
  let cursor;
  for (let page = 0; page < 20; page++) {
    const res = await api('GET', `/v1/event-types${query({ limit: '100', includeDeprecated: 'false', cursor })}`);
    all.push(...res.data);
    cursor = res.nextCursor ?? undefined;
    if (!cursor) break;
  }
  return all;
}

/** @param {HTMLElement} main */
export async function renderEventTypes(main) {
  const errors = h('div');
  const body = h('tbody');
  main.replaceChildren(
    h('h1', {}, 'Event types'),
    h('p', { class: 'lede' }, 'The events you can subscribe an endpoint to, and what each one carries. ',
      h('a', { href: '/v1/event-types/openapi.json', download: 'webhooks.openapi.json' }, 'Download them as an OpenAPI document'),
      ' to generate types for your receiver.'),
    errors,
    h('table', {},
      h('caption', { class: 'visually-hidden' }, 'Event types'),
      h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Event type'), h('th', { scope: 'col' }, 'Description'))),
      body,
    ),
  );
  try {
    const types = await liveEventTypes();
    body.append(
      ...types.map((t) =>
        h('tr', { 'data-event-type': t.name },
          h('td', {}, h('a', { href: `/portal/event-types/${enc(t.name)}`, 'data-nav': true }, h('code', {}, t.name))),
          h('td', {}, t.description ?? ''),
        ),
      ),
    );
    if (!types.length) body.append(h('tr', {}, h('td', { colspan: 2 }, 'No event types are published yet.')));
  } catch (err) {
    showError(errors, err);
  }
}

/** @param {HTMLElement} main @param {string} name */
export async function renderEventType(main, name) {
  /** @type {any} */
  let t;
  try {
    t = await api('GET', `/v1/event-types/${enc(name)}`);
  } catch (err) {
    main.replaceChildren(h('h1', {}, 'Event type'), h('div'));
    return showError(/** @type {Element} */ (main.lastChild), err);
  }
  const fields = t.fields.length
    ? h('table', { 'data-fields': true },
        h('caption', {}, 'Fields of ', h('code', {}, 'data')),
        h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Field'), h('th', { scope: 'col' }, 'Type'), h('th', { scope: 'col' }, 'Required'), h('th', { scope: 'col' }, 'Description'))),
        h('tbody', {}, t.fields.map((/** @type {any} */ f) =>
          h('tr', {}, h('td', {}, h('code', {}, f.path)), h('td', {}, f.type), h('td', {}, f.required ? 'Yes' : 'No'), h('td', {}, f.description ?? '')),
        )),
      )
    : h('p', {}, t.schema ? 'Its data has no named fields.' : 'This event type has no schema: its data may be any JSON.');
  const example = t.examples.length
    ? h('section', { class: 'card', 'aria-labelledby': 'example-h' },
        h('h2', { id: 'example-h' }, 'Example'),
        h('pre', { 'data-example': true }, JSON.stringify({ type: t.name, timestamp: new Date().toISOString(), data: t.examples[0] }, null, 2)),
      )
    : null;
  /** @type {HTMLElement[]} */
  const parts = [h('h1', {}, h('code', {}, t.name))];
  if (t.description) parts.push(h('p', { class: 'lede' }, t.description));
  if (t.deprecated) parts.push(h('p', { class: 'error', role: 'note' }, 'Deprecated: this event type is being retired; do not build on it.'));
  parts.push(
    h('p', {}, 'Updated ', when(t.updatedAt), ' · ', h('a', { href: '/portal/event-types', 'data-nav': true }, 'All event types')),
    h('section', { class: 'card', 'aria-labelledby': 'fields-h' }, h('h2', { id: 'fields-h' }, 'Payload'), fields),
  );
  if (example) parts.push(example);
  main.replaceChildren(...parts);
}
