import { Pool, types } from 'pg';

// bigint counts (COUNT(*), bigserial) fit comfortably in a JS number for our sizes.
types.setTypeParser(types.builtins.INT8, (v) => Number(v));

export type Db = Pool;

export function createPool(connectionString: string, max = 10): Db {
  const pool = new Pool({
    connectionString,
    max,
    // Fail fast when Postgres is down, so ingest answers 503 instead of hanging.
    connectionTimeoutMillis: 3_000,
    idleTimeoutMillis: 30_000,
    query_timeout: 15_000,
  });
  // An idle client losing its connection must not crash the process; the next query reconnects.
  pool.on('error', () => undefined);
  return pool;
}

/**
 * A statement PostgreSQL parses and plans once per connection instead of on every call. For the hot
 * path only: planning the accept statement cost more CPU than running it (measured 1.4 → 0.4 ms of
 * PostgreSQL CPU per single-event ingest, bench/prototypes/accept-sql.ts). Names must be unique; a
 * pooler in front of PostgreSQL must support protocol-level prepared statements (PgBouncer ≥ 1.21
 * with max_prepared_statements, or session pooling).
 */
export function preparedStatement(name: string, text: string): { name: string; text: string } {
  return { name: `hookflow_${name}`, text };
}

/** A round trip to PostgreSQL, for readiness checks. */
export async function pingDatabase(db: Pick<Db, 'query'>): Promise<void> {
  await db.query('SELECT 1');
}
