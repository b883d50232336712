/** A keyset cursor: the (created_at, id) of the last row of the previous page. */
export interface KeysetCursor {
  createdAt: string;
  id: string;
}

/**
 * The WHERE fragment that continues a (created_at, id) keyset page after `after`, pushing its
 * parameters. A cursor's createdAt has millisecond precision (JS Date) but the column has
 * microseconds, so comparing with it would return the cursor row again. The row's own stored value
 * is exact (soft-deleted rows stay), so it is used, falling back to the cursor's value only if the
 * row is gone.
 */
export function keysetAfter(table: string, params: unknown[], after: KeysetCursor, order: 'asc' | 'desc'): string {
  params.push(after.createdAt, after.id);
  const at = `$${params.length - 1}::timestamptz`;
  const id = `$${params.length}`;
  const op = order === 'asc' ? '>' : '<';
  return `(created_at, id) ${op} (COALESCE((SELECT c.created_at FROM ${table} c WHERE c.id = ${id}), ${at}), ${id})`;
}
