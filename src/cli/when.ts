import { InvalidArgumentError } from '@commander-js/extra-typings';
import ms from 'ms';

/**
 * `--since 1h` (a duration back from now: 30m, 2d, "90 seconds") or an ISO-8601 date-time;
 * returns the ISO date-time the API takes.
 */
export function parseSince(value: string, now = Date.now()): string {
  const back = /^\d/.test(value) && !value.includes('T') ? ms(value as ms.StringValue) : undefined;
  if (typeof back === 'number' && Number.isFinite(back)) return new Date(now - back).toISOString();
  const at = Date.parse(value);
  if (Number.isNaN(at) || !/^\d{4}-\d{2}-\d{2}/.test(value)) {
    throw new InvalidArgumentError('expected a duration back from now (30m, 1h, 2d) or an ISO-8601 date-time (2025-01-31T12:00:00Z)');
  }
  return new Date(at).toISOString();
}

/** `--timeout 10m`: a duration in milliseconds. */
export function parseDuration(value: string): number {
  const d = ms(value as ms.StringValue);
  if (typeof d !== 'number' || !Number.isFinite(d) || d <= 0) throw new InvalidArgumentError('expected a duration such as 30s, 10m or 1h');
  return d;
}

export const parseIntIn = (min: number, max: number) => (value: string): number => {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n < min || n > max) throw new InvalidArgumentError(`expected a whole number from ${min} to ${max}`);
  return n;
};
