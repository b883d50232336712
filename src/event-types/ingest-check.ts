// The catalog's say at ingest: an event whose type has a schema must carry valid `data`, and in
// strict mode only catalogued, non-deprecated types are accepted. The one accept path asks it once
// per request, before anything is stored, as its IntakeCheck.
import type { Db } from '../db/pool';
import type { IntakeCheck, SubmissionProblem } from '../dispatch/accept-events';
import { eventTypeSchema, eventTypeVersions, type EventTypeVersion } from '../db/repos/event-types';
import { isOperationalType } from '../ops-events/types';
import { compileSchema, forgetSchema, problemsOf, type CompiledSchema } from './json-schema';

export type EventTypesMode = 'open' | 'strict';

export interface FieldProblem {
  path: string;
  message: string;
}

interface Cached {
  revision: number;
  schema: Record<string, unknown> | null;
  validate: CompiledSchema | null;
}

const STRICT = 'HOOKFLOW_EVENT_TYPES is strict';

/**
 * One read per request learns the current revision of each type named; a schema is fetched and
 * compiled only when its (name, revision) is not cached, so each revision compiles once per process
 * and a change applies to the very next event on every replica.
 */
export function eventTypeCheck(db: Pick<Db, 'query'>, mode: EventTypesMode): IntakeCheck {
  const cache = new Map<string, Cached>();

  async function compiled(v: EventTypeVersion): Promise<CompiledSchema | null> {
    const hit = cache.get(v.name);
    if (hit && hit.revision >= v.revision) return hit.validate;
    const row = await eventTypeSchema(db, v.name);
    if (!row) return null;
    let validate: CompiledSchema | null = null;
    if (row.schema) {
      const c = compileSchema(row.schema, 'keep');
      // Stored schemas were compiled when saved; failing now means the validator itself changed.
      if (!c.ok) throw new Error(`the stored schema of event type ${v.name} no longer compiles: ${c.problems.map((p) => p.message).join('; ')}`);
      validate = c.validate;
    }
    if (hit?.schema) forgetSchema(hit.schema);
    cache.set(v.name, { revision: row.revision, schema: row.schema, validate });
    return validate;
  }

  return async (events) => {
    const names = [...new Set(events.map((e) => e.type).filter((t) => !isOperationalType(t)))];
    if (names.length === 0) return [];
    const versions = new Map((await eventTypeVersions(db, names)).map((v) => [v.name, v]));
    for (const n of names) if (!versions.has(n)) cache.delete(n);
    const problems: SubmissionProblem[] = [];
    for (const [index, e] of events.entries()) {
      if (isOperationalType(e.type)) continue;
      const v = versions.get(e.type);
      if (!v) {
        if (mode === 'strict') problems.push({ index, field: 'type', message: `is not in the event catalog (${STRICT}: add it at /v1/event-types first)` });
        continue;
      }
      if (v.deprecated && mode === 'strict') {
        problems.push({ index, field: 'type', message: `is deprecated (${STRICT}: deprecated types are refused)` });
        continue;
      }
      if (!v.has_schema) continue;
      const validate = await compiled(v);
      if (!validate) continue;
      const data = e.data !== undefined ? e.data : (JSON.parse(e.dataJson) as unknown);
      for (const p of problemsOf(validate, data)) problems.push({ index, field: p.path ? `data.${p.path}` : 'data', message: p.message });
    }
    return problems;
  };
}

/**
 * In strict mode, the exact types a subscription names must be in the catalog (wildcards and the
 * operational `hookflow.` types always pass). One problem per unknown name, at `path.N`.
 */
export async function unknownSubscribedTypes(
  known: (names: string[]) => Promise<Set<string>>,
  mode: EventTypesMode,
  eventTypes: readonly string[] | undefined,
  path: string,
): Promise<FieldProblem[]> {
  if (mode !== 'strict' || !eventTypes) return [];
  const exact = eventTypes.filter((t) => !t.includes('*') && !isOperationalType(t));
  if (exact.length === 0) return [];
  const found = await known(exact);
  return eventTypes.flatMap((t, i) =>
    exact.includes(t) && !found.has(t) ? [{ path: `${path}.${i}`, message: `is not in the event catalog (${STRICT}: add it at /v1/event-types first, or use a wildcard)` }] : [],
  );
}
