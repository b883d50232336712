// @ts-check
// Navigation inside the portal without reloading the page (the CSRF token lives in memory).

/** @type {() => Promise<void>} */
let router = async () => undefined;
/** Bumped on every navigation, so a page's pending work (polling) can tell it is no longer shown. */
let generation = 0;

/** @param {() => Promise<void>} fn */
export function setRouter(fn) {
  router = fn;
}

export const nextGeneration = () => ++generation;
/** @param {number} gen */
export const stillShown = (gen) => gen === generation;

/** @param {string} path */
export function navigate(path) {
  history.pushState(null, '', path);
  void router();
}

/** Waits `ms`, then tells whether the page that asked is still the one shown. @param {number} gen @param {number} ms */
export const pause = (gen, ms) => new Promise((resolve) => setTimeout(() => resolve(stillShown(gen)), ms));
