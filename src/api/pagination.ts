import type { z } from 'zod';
import { badRequest } from '../errors/problem';
import { decodeCursor, encodeCursor } from './schemas/common';

/** Decodes `query.cursor`; a cursor this API did not issue is a 400 naming it. */
export function parseCursor<T>(cursor: string | undefined, schema: z.ZodType<T>): T | undefined {
  if (cursor === undefined) return undefined;
  const after = decodeCursor(cursor, schema);
  if (after === undefined) throw badRequest([{ path: 'query.cursor', message: 'is not a cursor this API issued' }]);
  return after;
}

/** One page of a keyset list: `rows` was fetched with limit + 1, so one extra row means there is more. */
export function pageOf<R extends { created_at: Date; id: string }, T>(rows: R[], limit: number, present: (r: R) => T) {
  const page = rows.slice(0, limit);
  const last = page[page.length - 1];
  return {
    data: page.map(present),
    nextCursor: rows.length > limit && last ? encodeCursor({ createdAt: last.created_at.toISOString(), id: last.id }) : null,
  };
}
