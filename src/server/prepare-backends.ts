// What a hookflow deployment needs before its processes serve: the schema, the stored signing secrets
// sealed under the current key, the search attributes, the retentions and the purge schedule. One
// sequence that `hookflow migrate`, `npm start`, the tests and the bench all run; safe to repeat.
import type { Client, Connection } from '@temporalio/client';
import type { Config } from '../config';
import { migrate } from '../db/migrate';
import type { Db } from '../db/pool';
import { sealStoredSecrets } from '../security/reseal-secrets';
import { secretBox } from '../security/secret-box';
import { registerSearchAttributes } from '../temporal/register-search-attributes';
import { applyTemporalRetention, ensurePurgeSchedule } from '../temporal/retention';

/** Runs one named step; the dev stack wraps each in an error that says what failed and what to do. */
export type PreparationStep = <T>(what: string, todo: string, fn: () => Promise<T>) => Promise<T>;

export interface Prepared {
  applied: string[];
  secretsEncrypted: number;
  /** Present when Temporal was prepared too. */
  temporal?: { registered: string[]; retentionChanged: boolean; purgeSchedule: 'created' | 'updated' };
}

export async function prepareBackends(b: {
  config: Config;
  db: Db;
  /** Without it only PostgreSQL is prepared (tests share one Temporal namespace across databases). */
  temporal?: { client: Client; connection: Pick<Connection, 'operatorService'> };
  say: (line: string) => void;
  step?: PreparationStep;
}): Promise<Prepared> {
  const step: PreparationStep = b.step ?? ((_what, _todo, fn) => fn());
  const { config, db } = b;
  const applied = await step('could not apply the database migrations', 'check that PostgreSQL is reachable (DATABASE_URL) and read the reason above', () => migrate(db));
  if (applied.length > 0) b.say(`applied migrations: ${applied.join(', ')}`);
  // The Node half of migration 005: SQL cannot encrypt with a key only the processes hold.
  const sealed = await step('could not encrypt the stored signing secrets', 'check HOOKFLOW_SECRET_KEYS (it must hold the key they were encrypted with)', () =>
    sealStoredSecrets(db, secretBox(config), b.say),
  );
  const prepared: Prepared = { applied, secretsEncrypted: sealed.done };
  const temporal = b.temporal;
  if (!temporal) return prepared;
  prepared.temporal = await step('could not prepare the Temporal namespace', 'read the reason above', async () => ({
    // The dev server has them from its start-up flags already; a real cluster needs them registered.
    registered: await registerSearchAttributes(temporal.connection, config.temporal.namespace),
    retentionChanged: await applyTemporalRetention(temporal.client, config.temporal.namespace, config.temporalRetentionSeconds),
    purgeSchedule: await ensurePurgeSchedule(temporal.client, config),
  }));
  return prepared;
}
