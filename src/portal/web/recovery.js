// @ts-check
// Recovery: resend everything this endpoint failed to take since a time, as one job whose progress
// the page follows.
import { api } from './api.js';
import { busy, field, h, localToIso, showError, when } from './dom.js';
import { pause } from './nav.js';

// Polling stops after this many reads (about two minutes); the job itself goes on regardless.
const MAX_POLLS = 120;

// What each skip reason means to the endpoint's owner.
const REASONS = /** @type {Record<string, string>} */ ({
  no_longer_dead: 'delivered or resent since',
  already_being_redelivered: 'already being resent',
  subscription_disabled: 'endpoint disabled',
  delivery_missing: 'no longer kept',
});

/** @param {{ skipped: number, skippedByReason?: Record<string, number> }} p */
function skippedText(p) {
  const reasons = Object.entries(p.skippedByReason ?? {}).map(([why, n]) => `${n} ${REASONS[why] ?? why}`);
  return reasons.length > 0 ? `${p.skipped} (${reasons.join(', ')})` : String(p.skipped);
}

/** @param {string} base @param {number} gen */
export function renderRecovery(base, gen) {
  const since = /** @type {HTMLInputElement} */ (h('input', { type: 'datetime-local', required: true, step: 60 }));
  const submit = /** @type {HTMLButtonElement} */ (h('button', { type: 'submit', class: 'secondary' }, 'Recover failed deliveries'));
  const progress = h('div', { 'aria-live': 'polite' });

  /** @param {any} p */
  const show = (p) =>
    progress.replaceChildren(
      h('dl', { class: 'facts', 'data-recovery': p.state },
        h('dt', {}, 'Job'), h('dd', {}, p.state === 'running' ? 'Running' : p.state === 'completed' ? 'Completed' : 'Failed'),
        h('dt', {}, 'Found'), h('dd', {}, `${p.matched} failed deliveries`),
        h('dt', {}, 'Resent'), h('dd', {}, String(p.resent)),
        h('dt', {}, 'Skipped'), h('dd', {}, skippedText(p)),
        h('dt', {}, 'Window'), h('dd', {}, when(p.since), ' – ', when(p.until)),
      ),
    );

  const form = h('form', { class: 'card', 'aria-labelledby': 'recover-h' },
    h('h2', { id: 'recover-h' }, 'Recover'),
    h('p', {}, 'Resends every delivery to this endpoint that failed or was discarded since the time you choose.'),
    field('Since', since, 'Your local time.'),
    h('div', { class: 'actions' }, submit),
    progress,
  );
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    void busy(submit, async () => {
      try {
        let p = await api('POST', `${base}/recover`, { since: localToIso(since.value) });
        show(p);
        for (let i = 0; p.state === 'running' && i < MAX_POLLS && (await pause(gen, 1000)); i++) {
          p = await api('GET', `${base}/recoveries/${encodeURIComponent(p.id)}`);
          show(p);
        }
      } catch (err) {
        showError(progress, err);
      }
    });
  });
  return form;
}
