// How deeply a JSON value may nest. Serialising or walking a value thousands of levels deep
// overflows the call stack (a 500), so anything deeper than this is refused with a 400 naming the
// field before any code recurses into it. Real payloads stay far below it.
export const MAX_JSON_DEPTH = 64;

export const TOO_DEEP_MESSAGE = `must not nest arrays and objects more than ${MAX_JSON_DEPTH} levels deep`;

/** Whether `value` nests at most `max` arrays and objects deep. Iterative: safe at any depth. */
export function nestsWithin(value: unknown, max = MAX_JSON_DEPTH): boolean {
  const pending: [unknown, number][] = [[value, 0]];
  for (let next = pending.pop(); next; next = pending.pop()) {
    const [v, depth] = next;
    if (v === null || typeof v !== 'object') continue;
    if (depth >= max) return false;
    for (const child of Array.isArray(v) ? v : Object.values(v)) {
      if (child !== null && typeof child === 'object') pending.push([child, depth + 1]);
    }
  }
  return true;
}
