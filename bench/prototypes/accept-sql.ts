// Micro-bench of the single-event accept statement against embedded PostgreSQL: PG CPU and wall per
// event, plain vs prepared (named) statement. Evidence for docs/performance.md.
//   npx tsx bench/prototypes/accept-sql.ts
import { mkdtempSync, chmodSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startEmbeddedPostgres } from '../../src/dev/embedded-postgres';
import { migrate } from '../../src/db/migrate';
import { createPool } from '../../src/db/pool';
import { freePort } from '../../src/net/free-port';
import { acceptEvents } from '../../src/db/repos/events';
import { cpuSeconds } from '../support/proc-stats';

async function main() {
  const dir = mkdtempSync(path.join(tmpdir(), 'accept-sql-'));
  chmodSync(dir, 0o755);
  const pgDir = path.join(dir, 'pg');
  const pg = await startEmbeddedPostgres({ dataDir: pgDir, port: await freePort(), persistent: false });
  const pid = Number(readFileSync(path.join(pgDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
  const db = createPool(pg.url, 16);
  await migrate(db);
  await db.query(`INSERT INTO subscriptions (id, tenant_id, url, secret, event_types) VALUES ('sub_x', 'default', 'http://127.0.0.1:1/', 'x', ARRAY['t.one'])`).catch((e) => console.log('sub insert:', e.message));
  const n = Number(process.env.N ?? 3000);
  for (const round of [1, 2]) {
    let next = 0;
    const c0 = cpuSeconds({ name: 'pg', pid, tree: true })!;
    const u0 = process.cpuUsage();
    const t0 = Date.now();
    await Promise.all(Array.from({ length: 16 }, async () => {
      while (next < n) {
        const i = next++;
        await acceptEvents(db, [{ id: `evt_${round}_${i}`, tenantId: 'default', type: 't.one', dataJson: '{"a":1}', idempotencyKey: null, requestHash: 'h' }]);
      }
    }));
    const wall = (Date.now() - t0) / 1000;
    const pgCpu = cpuSeconds({ name: 'pg', pid, tree: true })! - c0;
    const u = process.cpuUsage(u0);
    console.log(JSON.stringify({ round, perSecond: Math.round(n / wall), pgMsPerEvent: ((pgCpu / n) * 1000).toFixed(3), nodeMsPerEvent: (((u.user + u.system) / 1e6 / n) * 1000).toFixed(3) }));
  }
  await db.end();
  await pg.stop();
}
main().then(() => process.exit(0), (e) => { console.error(e); process.exit(1); });
