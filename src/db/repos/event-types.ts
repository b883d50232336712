import type { Db } from '../pool';
import { preparedStatement } from '../pool';

export interface EventTypeRow {
  name: string;
  description: string | null;
  /** A JSON Schema (2020-12) for the event's `data`; null: any data. */
  schema: Record<string, unknown> | null;
  examples: unknown[];
  deprecated: boolean;
  revision: number;
  created_at: Date;
  updated_at: Date;
}

/** What ingest needs to know about a type; the schema itself is read only when it is not cached. */
export interface EventTypeVersion {
  name: string;
  revision: number;
  deprecated: boolean;
  has_schema: boolean;
}

type Queryable = Pick<Db, 'query'>;

// json parameters are sent as text: pg would turn a JS array into a PostgreSQL array literal.
const asJson = (v: unknown) => (v === null || v === undefined ? null : JSON.stringify(v));

/** Undefined when the name is taken. */
export async function insertEventType(
  db: Queryable,
  t: { name: string; description: string | null; schema: Record<string, unknown> | null; examples: unknown[]; deprecated: boolean },
): Promise<EventTypeRow | undefined> {
  const { rows } = await db.query<EventTypeRow>(
    `INSERT INTO event_types (name, description, schema, examples, deprecated) VALUES ($1, $2, $3::json, $4::json, $5)
     ON CONFLICT (name) DO NOTHING RETURNING *`,
    [t.name, t.description, asJson(t.schema), asJson(t.examples), t.deprecated],
  );
  return rows[0];
}

export async function getEventType(db: Queryable, name: string): Promise<EventTypeRow | undefined> {
  const { rows } = await db.query<EventTypeRow>('SELECT * FROM event_types WHERE name = $1', [name]);
  return rows[0];
}

/** By name, keyset-paginated on the name itself. */
export async function listEventTypes(db: Queryable, opts: { limit: number; after?: string; includeDeprecated?: boolean }): Promise<EventTypeRow[]> {
  const params: unknown[] = [opts.limit];
  const where: string[] = [];
  if (opts.after !== undefined) where.push(`name > $${params.push(opts.after)}`);
  if (opts.includeDeprecated === false) where.push('NOT deprecated');
  const { rows } = await db.query<EventTypeRow>(
    `SELECT * FROM event_types ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY name LIMIT $1`,
    params,
  );
  return rows;
}

/** Every type, for the published document and `event-types apply`; the catalog is small by nature. */
export async function allEventTypes(db: Queryable): Promise<EventTypeRow[]> {
  const { rows } = await db.query<EventTypeRow>('SELECT * FROM event_types ORDER BY name');
  return rows;
}

export type EventTypePatch = Partial<{ description: string | null; schema: Record<string, unknown> | null; examples: unknown[]; deprecated: boolean }>;

/** Only the fields present in `patch` change; the revision moves with every change. */
export async function updateEventType(db: Queryable, name: string, patch: EventTypePatch): Promise<EventTypeRow | undefined> {
  const has = (k: keyof EventTypePatch) => Object.prototype.hasOwnProperty.call(patch, k);
  const { rows } = await db.query<EventTypeRow>(
    `UPDATE event_types SET
       description = CASE WHEN $2 THEN $3 ELSE description END,
       schema      = CASE WHEN $4 THEN $5::json ELSE schema END,
       examples    = CASE WHEN $6 THEN $7::json ELSE examples END,
       deprecated  = CASE WHEN $8 THEN $9 ELSE deprecated END,
       revision = revision + 1, updated_at = now()
     WHERE name = $1 RETURNING *`,
    [name, has('description'), patch.description ?? null, has('schema'), asJson(patch.schema), has('examples'), asJson(patch.examples ?? []), has('deprecated'), patch.deprecated ?? false],
  );
  return rows[0];
}

export async function deleteEventType(db: Queryable, name: string): Promise<boolean> {
  const { rowCount } = await db.query('DELETE FROM event_types WHERE name = $1', [name]);
  return rowCount === 1;
}

/** Live subscriptions (any tenant) that name the type exactly; wildcards do not count. */
export async function countSubscriptionsNaming(db: Queryable, name: string): Promise<number> {
  const { rows } = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM subscriptions WHERE deleted_at IS NULL AND $1 = ANY(event_types)', [name]);
  return rows[0]!.n;
}

const VERSIONS_SQL = preparedStatement(
  'event_type_versions',
  'SELECT name, revision, deprecated, schema IS NOT NULL AS has_schema FROM event_types WHERE name = ANY($1::text[])',
);

/** The versions of the named types that exist: one indexed read per ingest request, however many events. */
export async function eventTypeVersions(db: Queryable, names: string[]): Promise<EventTypeVersion[]> {
  const { rows } = await db.query<EventTypeVersion>({ ...VERSIONS_SQL, values: [names] });
  return rows;
}

/** The schema of a type as of `revision` or later; undefined when the type is gone. */
export async function eventTypeSchema(db: Queryable, name: string): Promise<{ revision: number; schema: Record<string, unknown> | null } | undefined> {
  const { rows } = await db.query<{ revision: number; schema: Record<string, unknown> | null }>('SELECT revision, schema FROM event_types WHERE name = $1', [name]);
  return rows[0];
}

/** The names among `names` that are in the catalog. */
export async function existingEventTypes(db: Queryable, names: string[]): Promise<Set<string>> {
  const { rows } = await db.query<{ name: string }>('SELECT name FROM event_types WHERE name = ANY($1::text[])', [names]);
  return new Set(rows.map((r) => r.name));
}
