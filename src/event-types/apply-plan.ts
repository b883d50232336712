// `hookflow event-types apply`: what it takes to make the catalog match a file. Pure, so the
// decision (and its idempotence: a second run plans nothing) is pinned by a unit test.
import { isDeepStrictEqual } from 'node:util';
import { z } from 'zod';

/** One entry of the file, as the API's create body has it. */
export const catalogFileEntry = z
  .object({
    name: z.string().min(1),
    description: z.string().nullable().optional(),
    schema: z.record(z.string(), z.unknown()).nullable().optional(),
    examples: z.array(z.unknown()).optional(),
    deprecated: z.boolean().optional(),
  })
  .strict();
export type CatalogFileEntry = z.infer<typeof catalogFileEntry>;

/** The file: `{ eventTypes: [...] }`, or the list alone. Names appear once. */
export const catalogFile = z
  .preprocess((v) => (Array.isArray(v) ? { eventTypes: v } : v), z.object({ eventTypes: z.array(catalogFileEntry) }).strict())
  .superRefine((file, ctx) => {
    const seen = new Map<string, number>();
    file.eventTypes.forEach((e, i) => {
      const first = seen.get(e.name);
      if (first !== undefined) ctx.addIssue({ code: 'custom', path: ['eventTypes', i, 'name'], message: `"${e.name}" is already defined at entry ${first}` });
      else seen.set(e.name, i);
    });
  })
  .transform((file) => file.eventTypes);

/** An event type as the API answers it (the fields apply compares). */
export interface CatalogEntry {
  name: string;
  description: string | null;
  schema: Record<string, unknown> | null;
  examples: unknown[];
  deprecated: boolean;
}

type Patch = Partial<Omit<CatalogEntry, 'name'>>;

export interface ApplyPlan {
  create: CatalogEntry[];
  update: { name: string; patch: Patch }[];
  /** In the catalog, not in the file: deleted only with prune. */
  extra: string[];
  unchanged: string[];
}

const normalise = (e: CatalogFileEntry): CatalogEntry => ({
  name: e.name,
  description: e.description ?? null,
  schema: e.schema ?? null,
  examples: e.examples ?? [],
  deprecated: e.deprecated ?? false,
});

// Key order is not meaning: a file reformatted (or YAML re-serialised) changes nothing.
const same = (a: unknown, b: unknown): boolean => isDeepStrictEqual(sortKeys(a), sortKeys(b));
function sortKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (v && typeof v === 'object') return Object.fromEntries(Object.keys(v).sort().map((k) => [k, sortKeys((v as Record<string, unknown>)[k])]));
  return v;
}

/** An entry absent from the file is left as is; a field absent from an entry is its default (no schema, no examples, …). */
export function planApply(current: readonly CatalogEntry[], file: readonly CatalogFileEntry[]): ApplyPlan {
  const byName = new Map(current.map((c) => [c.name, c]));
  const plan: ApplyPlan = { create: [], update: [], extra: [], unchanged: [] };
  const wanted = new Set<string>();
  for (const entry of file.map(normalise)) {
    wanted.add(entry.name);
    const now = byName.get(entry.name);
    if (!now) {
      plan.create.push(entry);
      continue;
    }
    const patch: Patch = {};
    for (const k of ['description', 'schema', 'examples', 'deprecated'] as const) {
      if (!same(now[k], entry[k])) (patch as Record<string, unknown>)[k] = entry[k];
    }
    if (Object.keys(patch).length === 0) plan.unchanged.push(entry.name);
    else plan.update.push({ name: entry.name, patch });
  }
  plan.extra = current.filter((c) => !wanted.has(c.name)).map((c) => c.name);
  return plan;
}
