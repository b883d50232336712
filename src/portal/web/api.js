// @ts-check
// Calls to the hookflow API with the page's session. The session is an HttpOnly cookie the browser
// sends by itself; the CSRF token lives only in this module's memory and goes with every change.

/** @typedef {{ type?: string, title: string, status: number, detail: string, errors?: { path: string, message: string }[] }} Problem */

export class ApiError extends Error {
  /** @param {Problem} problem */
  constructor(problem) {
    super(`${problem.title}: ${problem.detail}`);
    this.problem = problem;
  }
}

let csrfToken = '';
/** @type {(error: ApiError) => void} */
let onSessionLost = () => undefined;

/** @param {string} token */
export function setCsrfToken(token) {
  csrfToken = token;
}

/** Called when the API no longer accepts the session (expired, signed out elsewhere, tenant deleted). @param {(error: ApiError) => void} fn */
export function whenSessionLost(fn) {
  onSessionLost = fn;
}

/** @param {unknown} v @returns {v is Problem} */
const isProblem = (v) => typeof v === 'object' && v !== null && typeof (/** @type {Problem} */ (v).detail) === 'string';

/**
 * One JSON request; resolves with the parsed body, rejects with an ApiError carrying the API's problem.
 * @param {string} method
 * @param {string} path
 * @param {unknown} [body]
 * @returns {Promise<any>}
 */
export async function api(method, path, body) {
  /** @type {Record<string, string>} */
  const headers = { accept: 'application/json, application/problem+json' };
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (method !== 'GET') headers['x-hookflow-csrf'] = csrfToken;
  let res;
  try {
    res = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), credentials: 'same-origin', cache: 'no-store' });
  } catch {
    throw new ApiError({ title: 'Network error', status: 0, detail: 'the service could not be reached; check your connection and try again' });
  }
  const text = await res.text();
  /** @type {unknown} */
  let data;
  try {
    data = text ? JSON.parse(text) : undefined;
  } catch {
    data = undefined;
  }
  if (res.ok) return data;
  const error = new ApiError(isProblem(data) ? data : { title: res.statusText || 'Error', status: res.status, detail: `the server answered ${res.status}` });
  if (res.status === 401 && !path.startsWith('/portal/session')) onSessionLost(error);
  throw error;
}

/** Builds a query string from the set fields only. @param {Record<string, string | undefined>} params */
export function query(params) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v) q.set(k, v);
  const s = q.toString();
  return s ? `?${s}` : '';
}

/** @param {string} s */
export const enc = (s) => encodeURIComponent(s);
