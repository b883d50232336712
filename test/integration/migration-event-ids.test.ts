// An install that upgrades to per-tenant event IDs: a database at migration 007 with events, plans
// and attempts in two tenants is migrated in place, everything is still there, and from then on two
// tenants may hold the same event ID while one tenant still may not hold it twice.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { loadMigrations, migrate } from '../../src/db/migrate';
import { createPool, type Db } from '../../src/db/pool';
import { createTestDatabase } from '../support/stack';

void describe('migration 008: event IDs are unique per tenant', () => {
  let db: Db;

  before(async () => {
    db = createPool(await createTestDatabase(), 2);
  });
  after(async () => {
    await db?.end();
  });

  void test('existing events, plans and attempts are kept; the same ID may then exist once per tenant', async () => {
    const all = loadMigrations();
    await migrate(db, all.filter((m) => m.version <= 7));
    await db.query("INSERT INTO tenants (id, name) VALUES ('t-a', 'A'), ('t-b', 'B')");
    await db.query(`INSERT INTO subscriptions (id, tenant_id, url, event_types, secret) VALUES
      ('sub_a', 't-a', 'https://example.com/a', '{*}', 'whsec_x'), ('sub_b', 't-b', 'https://example.com/b', '{*}', 'whsec_y')`);
    await db.query(`INSERT INTO events (id, tenant_id, type, data, request_hash, dispatched_at) VALUES
      ('evt_1', 't-a', 'x.y', '{"a":1}', 'h1', now()), ('evt_2', 't-b', 'x.y', '{"b":2}', 'h2', NULL)`);
    await db.query(`INSERT INTO event_deliveries (delivery_id, tenant_id, event_id, subscription_id) VALUES
      (hookflow_delivery_id('evt_1', 'sub_a'), 't-a', 'evt_1', 'sub_a'), (hookflow_delivery_id('evt_2', 'sub_b'), 't-b', 'evt_2', 'sub_b')`);
    await db.query(`INSERT INTO delivery_attempts (delivery_id, subscription_id, event_id, round, attempt, started_at, duration_ms, status_code, outcome)
      VALUES (hookflow_delivery_id('evt_1', 'sub_a'), 'sub_a', 'evt_1', 1, 1, now(), 12, 200, 'succeeded')`);
    // The same ID in another tenant is refused before the migration: the defect it fixes.
    await assert.rejects(
      db.query("INSERT INTO events (id, tenant_id, type, data, request_hash) VALUES ('evt_1', 't-b', 'x.y', '1', 'h')"),
      /events_pkey/,
    );

    assert.deepEqual(await migrate(db, all.filter((m) => m.version === 8)), ['008_event_ids_per_tenant.sql']);
    const q = async (sql: string) => (await db.query(sql)).rows;
    assert.deepEqual(await q('SELECT tenant_id, id, data::text AS data, dispatched_at IS NULL AS pending FROM events ORDER BY id'), [
      { tenant_id: 't-a', id: 'evt_1', data: '{"a":1}', pending: false },
      { tenant_id: 't-b', id: 'evt_2', data: '{"b":2}', pending: true },
    ]);
    assert.deepEqual(await q('SELECT tenant_id, event_id, subscription_id FROM event_deliveries ORDER BY event_id'), [
      { tenant_id: 't-a', event_id: 'evt_1', subscription_id: 'sub_a' },
      { tenant_id: 't-b', event_id: 'evt_2', subscription_id: 'sub_b' },
    ]);
    assert.equal((await q('SELECT count(*)::int AS n FROM delivery_attempts'))[0].n, 1);

    // B may now hold evt_1 too, with its own plan; A may not hold it twice.
    await db.query("INSERT INTO events (id, tenant_id, type, data, request_hash) VALUES ('evt_1', 't-b', 'x.y', '3', 'h3')");
    await db.query("INSERT INTO event_deliveries (delivery_id, tenant_id, event_id, subscription_id) VALUES (hookflow_delivery_id('evt_1', 'sub_b'), 't-b', 'evt_1', 'sub_b')");
    await assert.rejects(db.query("INSERT INTO events (id, tenant_id, type, data, request_hash) VALUES ('evt_1', 't-a', 'x.y', '4', 'h4')"), /events_pkey/);
    // A plan must name an event of its own tenant.
    await assert.rejects(
      db.query("INSERT INTO event_deliveries (delivery_id, tenant_id, event_id, subscription_id) VALUES ('dlv_x', 't-a', 'evt_2', 'sub_a')"),
      /event_deliveries_event_fkey/,
    );
    // Deleting B's evt_1 takes B's plan with it and leaves A's alone.
    await db.query("DELETE FROM events WHERE tenant_id = 't-b' AND id = 'evt_1'");
    assert.deepEqual(await q("SELECT tenant_id FROM event_deliveries WHERE event_id = 'evt_1'"), [{ tenant_id: 't-a' }]);
    assert.deepEqual(await migrate(db, all.filter((m) => m.version <= 8)), [], 'a second run applies nothing');
  });
});
