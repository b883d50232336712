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
