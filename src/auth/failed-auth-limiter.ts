import { Problem } from '../errors/problem';
import type { RateLimitSetting } from '../config';

interface Window {
  startedAt: number;
  failures: number;
}

/**
 * Failed authentications per client address, in fixed windows. An address that failed `max` times
 * in a window is refused until the window ends, before its credential is even looked up: guessing
 * tokens or portal links costs a database look-up each, and a flood of them slowed every caller.
 * In memory, per API process (like the per-credential limits); the least recently seen addresses
 * are forgotten first when `capacity` is reached.
 */
export class FailedAuthLimiter {
  private readonly windows = new Map<string, Window>();

  constructor(
    private readonly setting: RateLimitSetting,
    private readonly capacity = 10_000,
    private readonly now: () => number = Date.now,
  ) {}

  /** Milliseconds until `address` may try again; 0 when it may now. */
  retryAfterMs(address: string): number {
    const max = this.setting.max;
    const w = this.windows.get(address);
    if (max === undefined || !w) return 0;
    const left = w.startedAt + this.setting.windowMs - this.now();
    if (left <= 0) {
      this.windows.delete(address);
      return 0;
    }
    return w.failures >= max ? left : 0;
  }

  failed(address: string): void {
    if (this.setting.max === undefined) return;
    const at = this.now();
    let w = this.windows.get(address);
    if (!w || at - w.startedAt >= this.setting.windowMs) w = { startedAt: at, failures: 0 };
    w.failures += 1;
    // Re-inserted, so the Map's order is least recently failed first.
    this.windows.delete(address);
    this.windows.set(address, w);
    if (this.windows.size > this.capacity) this.windows.delete(this.windows.keys().next().value!);
  }

  /** The limit as configured, for messages: "100 per 1m". */
  get description(): string {
    return `${this.setting.max} per ${this.setting.label}`;
  }
}

/** 429 with Retry-After (whole seconds, rounded up): what a refused address is told. */
export function tooManyFailures(limiter: FailedAuthLimiter, waitMs: number): Problem {
  const seconds = Math.max(1, Math.ceil(waitMs / 1000));
  return new Problem(
    429,
    'Too Many Requests',
    `too many failed authentications from this address (at most ${limiter.description}); retry in ${seconds} s`,
    undefined,
    { 'retry-after': String(seconds) },
  );
}

/** The check every credential goes through: refused while blocked, counted when it fails. */
export async function limitFailures<T>(limiter: FailedAuthLimiter | undefined, address: string, attempt: () => Promise<T | undefined>): Promise<T | undefined> {
  const wait = limiter?.retryAfterMs(address) ?? 0;
  if (wait > 0) throw tooManyFailures(limiter!, wait);
  const result = await attempt();
  if (result === undefined) limiter?.failed(address);
  return result;
}
