// What makes an event type's definition acceptable: its schema compiles as JSON Schema 2020-12 and
// each example validates against it. Pure: the API turns the problems into a 400.
import safeRegex from 'safe-regex2';
import { compileSchema, problemsOf } from './json-schema';
import type { FieldProblem } from './ingest-check';

const under = (base: string, path: string) => (path ? `${base}.${path}` : base);

/**
 * Problems with `schema` (paths under `at.schema`) and then with each example (under
 * `at.examples.N`); `at.examples` undefined means the examples are the stored ones, not the
 * request's, and their problems are reported on the schema that they fail.
 */
export function definitionProblems(
  schema: Record<string, unknown> | null,
  examples: readonly unknown[],
  at: { schema: string; examples?: string },
): FieldProblem[] {
  if (!schema) return [];
  const slow = slowPatterns(schema).map((p) => ({ path: under(at.schema, p), message: SLOW_PATTERN }));
  if (slow.length > 0) return slow;
  const compiled = compileSchema(schema, 'check');
  if (!compiled.ok) return compiled.problems.map((p) => ({ path: under(at.schema, p.path), message: p.message }));
  return examples.flatMap((example, i) =>
    problemsOf(compiled.validate, example).map((p) =>
      at.examples === undefined
        ? { path: at.schema, message: `the stored example ${i} fails it at ${p.path || 'its root'}: ${p.message}` }
        : { path: under(`${at.examples}.${i}`, p.path), message: p.message },
    ),
  );
}

const join = (a: string, b: string) => (a ? `${a}.${b}` : b);
const SLOW_PATTERN = 'may take exponential time on some inputs (a quantified group inside another, such as (a+)+): every event of this type runs it, so rewrite it';
// Values, not schemas: a `pattern` key inside them is data.
const VALUE_KEYWORDS = new Set(['const', 'enum', 'default', 'examples']);

/**
 * Paths (below the schema) of regular expressions that can backtrack exponentially: `pattern`
 * values and `patternProperties` keys. Ingest runs them on every event, on the event loop, so a
 * catastrophic one would stall the API; safe-regex2 finds the usual shapes (star height above 1).
 */
export function slowPatterns(schema: unknown, path = ''): string[] {
  if (Array.isArray(schema)) return schema.flatMap((s, i) => slowPatterns(s, join(path, String(i))));
  if (!schema || typeof schema !== 'object') return [];
  const found: string[] = [];
  for (const [k, v] of Object.entries(schema as Record<string, unknown>)) {
    if (VALUE_KEYWORDS.has(k)) continue;
    const here = join(path, k);
    if (k === 'pattern' && typeof v === 'string' && !safeRegex(v)) found.push(here);
    if (k === 'patternProperties' && v && typeof v === 'object') {
      for (const re of Object.keys(v)) if (!safeRegex(re)) found.push(join(here, re));
    }
    found.push(...slowPatterns(v, here));
  }
  return found;
}
