// hookflow_delivery_id() in SQL must give exactly deliveryIdFor() in TypeScript: ingest computes
// the plan in SQL, while replay, the sweeper and older rows use the TypeScript one.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import fc from 'fast-check';
import { migrate } from '../../src/db/migrate';
import { createPool, type Db } from '../../src/db/pool';
import { deliveryIdFor, newId } from '../../src/db/ids';
import { createTestDatabase } from '../support/stack';

void describe('hookflow_delivery_id (SQL) = deliveryIdFor (TypeScript)', () => {
  let db: Db;
  before(async () => {
    db = createPool(await createTestDatabase(), 2);
    await migrate(db);
  });
  after(async () => {
    await db?.end();
  });

  void test('equal for generated IDs and for arbitrary storable strings', async () => {
    const id = fc.oneof(
      fc.constant(null).map(() => newId('evt')),
      fc.stringMatching(/^[a-zA-Z0-9_.:-]{1,128}$/),
      fc.string({ unit: 'grapheme', minLength: 1, maxLength: 40 }).filter((s) => !s.includes('\u0000')),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(fc.tuple(id, id), { minLength: 1, maxLength: 50 }), async (pairs) => {
        const { rows } = await db.query<{ id: string }>(
          'SELECT hookflow_delivery_id(e, s) AS id FROM unnest($1::text[], $2::text[]) WITH ORDINALITY AS u(e, s, n) ORDER BY n',
          [pairs.map((p) => p[0]), pairs.map((p) => p[1])],
        );
        assert.deepEqual(rows.map((r) => r.id), pairs.map(([e, s]) => deliveryIdFor(e, s)));
      }),
      { numRuns: 40 },
    );
  });
});
