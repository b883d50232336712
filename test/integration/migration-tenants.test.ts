// An install that upgrades: a database at migration 001 with subscriptions, events, deliveries
// and attempts is migrated, and everything is still there, under the tenant `default`.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { loadMigrations, migrate } from '../../src/db/migrate';
import { createPool, type Db } from '../../src/db/pool';
import { createTestDatabase } from '../support/stack';

void describe('migration 002: pre-tenant data moves to the default tenant', () => {
  let db: Db;

  before(async () => {
    db = createPool(await createTestDatabase(), 2);
  });
  after(async () => {
    await db?.end();
  });

  void test('every subscription, event, planned delivery and attempt is kept, under default', async () => {
    const all = loadMigrations();
    assert.deepEqual(await migrate(db, all.filter((m) => m.version === 1)), ['001_initial.sql']);
    await db.query(`INSERT INTO subscriptions (id, url, event_types, secret) VALUES
      ('sub_old1', 'https://example.com/a', '{invoice.*}', 'whsec_x'), ('sub_old2', 'https://example.com/b', '{*}', 'whsec_y')`);
    await db.query(`INSERT INTO events (id, type, data, idempotency_key, request_hash, dispatched_at) VALUES
      ('evt_old1', 'invoice.paid', '{"a":1}', 'key-1', 'h1', now()), ('evt_old2', 'user.created', '{"b":2}', NULL, 'h2', NULL)`);
    await db.query(`INSERT INTO event_deliveries (delivery_id, event_id, subscription_id) VALUES
      ('dlv_old1', 'evt_old1', 'sub_old1'), ('dlv_old2', 'evt_old1', 'sub_old2'), ('dlv_old3', 'evt_old2', 'sub_old2')`);
    await db.query(`INSERT INTO delivery_attempts (delivery_id, subscription_id, event_id, round, attempt, started_at, duration_ms, status_code, outcome)
      VALUES ('dlv_old1', 'sub_old1', 'evt_old1', 1, 1, now(), 12, 200, 'succeeded')`);

    const applied = await migrate(db);
    assert.ok(applied.includes('002_tenants.sql'), applied.join(','));
    const q = async (sql: string) => (await db.query(sql)).rows;
    assert.deepEqual(await q('SELECT id, name FROM tenants'), [{ id: 'default', name: 'Default tenant' }]);
    assert.deepEqual(await q('SELECT id, tenant_id FROM subscriptions ORDER BY id'), [
      { id: 'sub_old1', tenant_id: 'default' },
      { id: 'sub_old2', tenant_id: 'default' },
    ]);
    assert.deepEqual(await q('SELECT id, tenant_id, idempotency_key, data::text AS data FROM events ORDER BY id'), [
      { id: 'evt_old1', tenant_id: 'default', idempotency_key: 'key-1', data: '{"a":1}' },
      { id: 'evt_old2', tenant_id: 'default', idempotency_key: null, data: '{"b":2}' },
    ]);
    assert.deepEqual((await q('SELECT delivery_id, tenant_id FROM event_deliveries ORDER BY delivery_id')).map((r) => `${r.delivery_id}:${r.tenant_id}`), [
      'dlv_old1:default',
      'dlv_old2:default',
      'dlv_old3:default',
    ]);
    assert.equal((await q('SELECT count(*)::int AS n FROM delivery_attempts'))[0].n, 1);
    // The undispatched event is still there for the sweeper to finish.
    assert.deepEqual(await q('SELECT id FROM events WHERE dispatched_at IS NULL'), [{ id: 'evt_old2' }]);
    // Idempotency keys are now per tenant: the same key may exist once in another tenant, not twice in one.
    await db.query("INSERT INTO tenants (id, name) VALUES ('other', 'Other')");
    await db.query("INSERT INTO events (id, tenant_id, type, data, idempotency_key, request_hash) VALUES ('evt_new', 'other', 't.x', '1', 'key-1', 'h')");
    await assert.rejects(
      db.query("INSERT INTO events (id, type, data, idempotency_key, request_hash) VALUES ('evt_dup', 't.x', '1', 'key-1', 'h')"),
      /events_tenant_idempotency_key_key/,
    );
    assert.deepEqual(await migrate(db), [], 'a second run applies nothing');
  });
});
