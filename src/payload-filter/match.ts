// Runs a checked filter (validate.ts) with sift, a small, widely used implementation of MongoDB's
// query semantics (arrays match on any element, $exists, $in, ...), plus hookflow's $startsWith.
import sift, { createEqualsOperation, type Query } from 'sift';
import { checkFilter } from './validate';

export interface FilterTarget {
  type: string;
  data: unknown;
}

export type EventTester = (target: FilterTarget) => boolean;

const operations = {
  $startsWith: (prefix: string, ownerQuery: Query<unknown>, options: Parameters<typeof createEqualsOperation>[2]) =>
    createEqualsOperation((v: unknown) => typeof v === 'string' && v.startsWith(prefix), ownerQuery, options),
};

/** A tester for a stored filter; throws if the filter is not valid (it was checked when stored). */
export function compileFilter(filter: unknown): EventTester {
  const checked = checkFilter(filter);
  if (!checked.ok) throw new Error(`invalid filter: ${checked.problems.map((p) => `${p.path.join('.') || '(root)'} ${p.message}`).join('; ')}`);
  return sift(checked.query as Query<FilterTarget>, { operations });
}
