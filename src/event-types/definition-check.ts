// What makes an event type's definition acceptable: its schema compiles as JSON Schema 2020-12 and
// each example validates against it. Pure: the API turns the problems into a 400.
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
