// @ts-check
// An endpoint's custom headers and payload filter. Header values the API masks (credential-like
// names) stay masked here: editing loads the whole values through the same access as the signing
// secret and keeps credential-like ones in password fields. The filter is checked by the API, and
// its message (with the place in the filter) is shown as it comes.
import { api } from './api.js';
import { announce, busy, field, h, showError } from './dom.js';

const MASK = '********';
// The API's rule, for choosing password fields only; the API decides what it masks.
const CREDENTIAL = /key|token|secret|auth|password|credential|cookie|session|signature/i;

/** @param {string} base @param {any} sub @param {(sub: any) => void} onSaved */
export function headersSection(base, sub, onSaved) {
  const body = h('div');
  const errors = h('div');
  const edit = /** @type {HTMLButtonElement} */ (h('button', { type: 'button', class: 'secondary' }, 'Edit headers'));

  const showList = () => {
    const names = Object.keys(sub.headers ?? {});
    body.replaceChildren(
      names.length === 0
        ? h('p', { class: 'hint' }, 'No custom headers.')
        : h('table', { class: 'headers' },
            h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Header'), h('th', { scope: 'col' }, 'Value'))),
            h('tbody', {}, names.map((n) => h('tr', {}, h('td', {}, h('code', {}, n)), h('td', { 'data-masked': sub.headers[n] === MASK ? 'true' : null }, sub.headers[n])))),
          ),
      h('div', { class: 'actions' }, edit),
    );
  };

  /** @param {Record<string, string>} whole */
  const showEditor = (whole) => {
    const rows = h('div', { class: 'header-rows' });
    /** @param {string} name @param {string} value */
    const addRow = (name, value) => {
      const nameInput = /** @type {HTMLInputElement} */ (h('input', { type: 'text', 'aria-label': 'Header name', value: name, autocomplete: 'off' }));
      const valueInput = /** @type {HTMLInputElement} */ (h('input', { type: CREDENTIAL.test(name) ? 'password' : 'text', 'aria-label': 'Header value', autocomplete: 'off' }));
      valueInput.value = value;
      nameInput.addEventListener('input', () => (valueInput.type = CREDENTIAL.test(nameInput.value) ? 'password' : 'text'));
      const row = h('div', { class: 'header-row actions' }, nameInput, valueInput);
      row.append(h('button', { type: 'button', class: 'secondary', onclick: () => row.remove() }, 'Remove'));
      rows.append(row);
      return nameInput;
    };
    for (const [n, v] of Object.entries(whole)) addRow(n, v);
    const add = h('button', { type: 'button', class: 'secondary', onclick: () => addRow('', '').focus() }, 'Add header');
    const save = /** @type {HTMLButtonElement} */ (h('button', { type: 'submit' }, 'Save headers'));
    const cancel = h('button', { type: 'button', class: 'secondary', onclick: () => (errors.replaceChildren(), showList()) }, 'Cancel');
    const form = h('form', {}, rows, h('div', { class: 'actions' }, add, save, cancel));
    form.addEventListener('submit', (e) => {
      e.preventDefault();
      /** @type {Record<string, string>} */
      const headers = {};
      for (const row of rows.querySelectorAll('.header-row')) {
        const [n, v] = /** @type {NodeListOf<HTMLInputElement>} */ (row.querySelectorAll('input'));
        if (n && v && n.value.trim() !== '') headers[n.value.trim()] = v.value;
      }
      void busy(save, async () => {
        try {
          sub = await api('PATCH', base, { headers });
          onSaved(sub);
          errors.replaceChildren();
          showList();
          announce('Headers saved.');
        } catch (err) {
          showError(errors, err);
        }
      });
    });
    body.replaceChildren(form);
  };

  edit.addEventListener('click', () =>
    void busy(edit, async () => {
      try {
        showEditor((await api('GET', `${base}/headers`)).headers);
        errors.replaceChildren();
      } catch (err) {
        showError(errors, err);
      }
    }),
  );
  showList();
  return h('section', { class: 'card', 'aria-labelledby': 'headers-h' },
    h('h2', { id: 'headers-h' }, 'Custom headers'),
    h('p', {}, 'Sent with every request to this endpoint, such as an API key your gateway expects. Values are stored encrypted; credential-like ones are shown masked.'),
    body,
    errors,
  );
}

/** @param {string} base @param {any} sub @param {(sub: any) => void} onSaved */
export function filterSection(base, sub, onSaved) {
  const text = /** @type {HTMLTextAreaElement} */ (h('textarea', { rows: 5, spellcheck: 'false', class: 'code' }));
  text.value = sub.filter ? JSON.stringify(sub.filter, null, 2) : '';
  const errors = h('div');
  const save = /** @type {HTMLButtonElement} */ (h('button', { type: 'submit' }, 'Save filter'));
  const form = h('form', {},
    field('Filter (JSON)', text, 'Matched against { "type", "data" }, e.g. {"data": {"amount": {"$gte": 100}}}. Leave empty to receive every event of the chosen types.'),
    errors,
    h('div', { class: 'actions' }, save),
  );
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    /** @type {unknown} */
    let filter = null;
    if (text.value.trim() !== '') {
      try {
        filter = JSON.parse(text.value);
      } catch (err) {
        return showError(errors, `The filter is not valid JSON: ${/** @type {Error} */ (err).message}`);
      }
    }
    void busy(save, async () => {
      try {
        sub = await api('PATCH', base, { filter });
        onSaved(sub);
        text.value = sub.filter ? JSON.stringify(sub.filter, null, 2) : '';
        errors.replaceChildren();
        announce(sub.filter ? 'Filter saved.' : 'Filter removed.');
      } catch (err) {
        // The API names the place in the filter: body.filter.data.amount.$regex: is not a supported operator …
        showError(errors, err);
      }
    });
  });
  return h('section', { class: 'card', 'aria-labelledby': 'filter-h' },
    h('h2', { id: 'filter-h' }, 'Payload filter'),
    h('p', {}, 'Only events that match the filter are delivered to this endpoint; the others create no delivery.'),
    form,
  );
}
