// Polling helpers shared by the integration and fault suites. Every wait is bounded in time.

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Polls until `fn` returns a truthy value; fails with the last value (and error) seen. */
export async function waitFor<T>(fn: () => Promise<T> | T, what: string, timeoutMs = 20_000, everyMs = 100): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  let last: T | undefined;
  let lastError: unknown;
  while (Date.now() < deadline) {
    try {
      last = await fn();
      if (last) return last;
    } catch (err) {
      lastError = err;
    }
    await sleep(everyMs);
  }
  const shown = JSON.stringify(last)?.slice(0, 500);
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; last value ${shown}${lastError ? `; last error ${(lastError as Error).message}` : ''}`);
}
