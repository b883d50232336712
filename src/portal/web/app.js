// @ts-check
// The portal's entry point: opens the session (from a link's fragment, or the cookie a previous
// visit left), then routes by path. Every page is built from /v1 calls made with that session.
import { api, ApiError, setCsrfToken, whenSessionLost } from './api.js';
import { announce, expireAnnouncement, h } from './dom.js';
import { renderDeliveries } from './deliveries.js';
import { renderDelivery } from './delivery.js';
import { renderEndpoint } from './endpoint.js';
import { renderEndpoints } from './endpoints.js';
import { renderEventType, renderEventTypes } from './event-types.js';
import { navigate, nextGeneration, setRouter } from './nav.js';

const main = /** @type {HTMLElement} */ (document.getElementById('main'));
const PREFIX = '/portal';
let shownBefore = false;

/** The page for the current path, rendered into <main>. */
async function route() {
  const gen = nextGeneration();
  expireAnnouncement();
  const path = location.pathname.replace(/\/+$/, '');
  const params = new URLSearchParams(location.search);
  /** @type {[RegExp, (m: RegExpExecArray) => Promise<void>][]} */
  const routes = [
    [/^\/portal\/endpoints$/, () => renderEndpoints(main)],
    [/^\/portal\/endpoints\/([^/]+)$/, (m) => renderEndpoint(main, decodeURIComponent(m[1] ?? ''), gen)],
    [/^\/portal\/deliveries$/, () => renderDeliveries(main, params, gen)],
    [/^\/portal\/deliveries\/([^/]+)$/, (m) => renderDelivery(main, decodeURIComponent(m[1] ?? ''), gen)],
    [/^\/portal\/event-types$/, () => renderEventTypes(main)],
    [/^\/portal\/event-types\/([^/]+)$/, (m) => renderEventType(main, decodeURIComponent(m[1] ?? ''))],
  ];
  if (path === PREFIX) {
    history.replaceState(null, '', `${PREFIX}/endpoints`);
    return route();
  }
  for (const [re, render] of routes) {
    const m = re.exec(path);
    if (!m) continue;
    main.replaceChildren(h('p', { class: 'loading' }, 'Loading…'));
    await render(m);
    markCurrentNav(path);
    const heading = main.querySelector('h1');
    if (heading) document.title = `${heading.textContent ?? ''} · Webhooks portal`;
    // After a navigation inside the page, keyboard and screen-reader users land on the new heading
    // (the first page keeps the browser's own start, so the skip link comes first).
    if (heading && shownBefore) {
      heading.setAttribute('tabindex', '-1');
      heading.focus();
    }
    shownBefore = true;
    return;
  }
  main.replaceChildren(h('h1', {}, 'Page not found'), h('p', {}, h('a', { href: `${PREFIX}/endpoints`, 'data-nav': true }, 'Go to your endpoints')));
}

/** @param {string} path */
function markCurrentNav(path) {
  for (const a of document.querySelectorAll('header nav a')) {
    const href = a.getAttribute('href') ?? '';
    if (path.startsWith(href)) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
}

/**
 * The page shown instead of the portal when there is no session to open: a used or expired link,
 * a forged or expired cookie. It says which, in the API's words.
 * @param {unknown} err
 */
function refuse(err) {
  const p = err instanceof ApiError ? err.problem : { title: 'The portal could not be opened', detail: String(err), status: 0 };
  /** @type {HTMLElement} */ (document.getElementById('top')).hidden = true;
  document.title = `${p.title} · Webhooks portal`;
  main.replaceChildren(
    h('section', { class: 'refused', 'data-refused': p.type ?? 'error' },
      h('h1', {}, p.title),
      h('p', {}, p.detail.charAt(0).toUpperCase() + p.detail.slice(1) + '.'),
      h('p', {}, 'Portal links work once and for a short time. Ask the service that gave you the link for a new one.'),
    ),
  );
  main.focus();
}

/** The link's credential, taken from the fragment and removed from the address bar and history at once. */
function takeLinkFromFragment() {
  const m = /(?:^#|&)link=([^&]+)/.exec(location.hash);
  if (!m) return undefined;
  history.replaceState(null, '', location.pathname + location.search);
  return decodeURIComponent(m[1] ?? '');
}

async function openSession() {
  const link = takeLinkFromFragment();
  return link ? api('POST', '/portal/session', { link }) : api('GET', '/portal/session');
}

async function boot() {
  /** @type {{ tenantId: string, tenantName: string, expiresAt: string, csrfToken: string }} */
  let session;
  try {
    session = await openSession();
  } catch (err) {
    return refuse(err);
  }
  setCsrfToken(session.csrfToken);
  whenSessionLost(refuse);
  /** @type {HTMLElement} */ (document.getElementById('who')).textContent = session.tenantName;
  /** @type {HTMLElement} */ (document.getElementById('top')).hidden = false;
  document.getElementById('sign-out')?.addEventListener('click', () => {
    api('DELETE', '/portal/session').then(
      () => refuse(new ApiError({ title: 'Signed out', status: 200, detail: 'you signed out of the portal' })),
      (err) => announce(err instanceof ApiError ? err.message : String(err)),
    );
  });
  // Links inside the portal change the page without a reload (the session stays in memory).
  document.addEventListener('click', (e) => {
    const a = e.target instanceof Element ? e.target.closest('a[data-nav]') : null;
    if (!a || !(e instanceof MouseEvent) || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
    e.preventDefault();
    navigate(a.getAttribute('href') ?? PREFIX);
  });
  setRouter(route);
  window.addEventListener('popstate', () => void route());
  await route();
}

void boot();
