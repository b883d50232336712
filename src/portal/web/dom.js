// @ts-check
// Builds DOM from data. Text always goes in as text (never as HTML): with the page's Trusted Types
// policy, an HTML string would not even be accepted.
import { ApiError } from './api.js';

/** @typedef {string | number | Node | null | undefined | false} Child */

/**
 * @param {string} tag
 * @param {Record<string, unknown>} [attrs] `on…` keys are listeners; `true` sets a boolean attribute
 * @param {...(Child | Child[])} children
 * @returns {HTMLElement}
 */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), /** @type {EventListener} */ (v));
    else el.setAttribute(k, v === true ? '' : typeof v === 'string' ? v : JSON.stringify(v));
  }
  for (const c of children.flat()) {
    if (c === null || c === undefined || c === false) continue;
    el.append(typeof c === 'object' ? c : String(c));
  }
  return el;
}

let fieldCounter = 0;
/**
 * A labelled form field: the label names the control, a hint is tied to it by aria-describedby.
 * @param {string} label
 * @param {HTMLElement} control
 * @param {string} [hint]
 */
export function field(label, control, hint) {
  const id = control.id || `f${++fieldCounter}`;
  control.id = id;
  const hintEl = hint ? h('span', { class: 'hint', id: `${id}-hint` }, hint) : null;
  if (hintEl) control.setAttribute('aria-describedby', hintEl.id);
  return h('div', { class: 'field' }, h('label', { for: id }, label), control, hintEl);
}

/**
 * An error in words: the API's problem title and detail, and each field it names.
 * @param {unknown} err
 */
export function errorBox(err) {
  const p = err instanceof ApiError ? err.problem : { title: 'Something went wrong', detail: String(err), status: 0 };
  return h(
    'div',
    { class: 'error', role: 'alert' },
    h('p', {}, h('strong', {}, p.title), ' — ', p.detail),
    p.errors?.length ? h('ul', {}, p.errors.map((e) => h('li', {}, h('code', {}, e.path), ' ', e.message))) : null,
  );
}

/** Shows `err` in `slot` (replacing what was there). @param {Element} slot @param {unknown} err */
export const showError = (slot, err) => slot.replaceChildren(errorBox(err));

/** A short message for screen readers and eyes alike. @param {string} text */
export function announce(text) {
  const el = document.getElementById('status');
  if (!el) return;
  el.textContent = text;
  // Kept through the one navigation an action may cause (added → the new endpoint's page).
  el.dataset.fresh = 'true';
}

/** On navigation: a message from the page before the last one is stale. */
export function expireAnnouncement() {
  const el = document.getElementById('status');
  if (!el) return;
  if (el.dataset.fresh) delete el.dataset.fresh;
  else el.textContent = '';
}

/** @param {string | null | undefined} iso */
export function when(iso) {
  if (!iso) return '—';
  const d = new Date(iso);
  return h('time', { datetime: iso, title: iso }, d.toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'medium' }));
}

const STATE_WORDS = /** @type {Record<string, string>} */ ({
  scheduled: 'Scheduled',
  delivering: 'Delivering',
  retrying: 'Retrying',
  succeeded: 'Delivered',
  dead_lettered: 'Failed',
  discarded: 'Discarded',
});

/** A delivery state as a word, with the state itself kept machine-readable. @param {string} state */
export const stateBadge = (state) => h('span', { class: `badge s-${state}`, 'data-state': state }, STATE_WORDS[state] ?? state);

/** Runs a button's action once at a time, showing that it is busy. @param {HTMLButtonElement} button @param {() => Promise<void>} fn */
export async function busy(button, fn) {
  button.disabled = true;
  button.setAttribute('aria-busy', 'true');
  try {
    await fn();
  } finally {
    button.disabled = false;
    button.removeAttribute('aria-busy');
  }
}

/**
 * A modal confirmation (native <dialog>: focus moves in, Escape cancels).
 * @param {string} question
 * @param {string} confirmLabel
 * @returns {Promise<boolean>}
 */
export function confirmAction(question, confirmLabel) {
  return new Promise((resolve) => {
    const dialog = /** @type {HTMLDialogElement} */ (
      h(
        'dialog',
        { 'aria-labelledby': 'confirm-q' },
        h('form', { method: 'dialog' }, h('p', { id: 'confirm-q' }, question), h('div', { class: 'actions' },
          h('button', { value: 'cancel', class: 'secondary', autofocus: true }, 'Cancel'),
          h('button', { value: 'ok', class: 'danger' }, confirmLabel),
        )),
      )
    );
    dialog.addEventListener('close', () => {
      resolve(dialog.returnValue === 'ok');
      dialog.remove();
    });
    document.body.append(dialog);
    dialog.showModal();
  });
}

/** Datetime-local value (the user's local time) as an ISO instant, or undefined. @param {string} v */
export const localToIso = (v) => (v ? new Date(v).toISOString() : undefined);
/** An ISO instant as a datetime-local value. @param {string | null} iso */
export function isoToLocal(iso) {
  if (!iso) return '';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return '';
  const pad = (/** @type {number} */ n) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}
