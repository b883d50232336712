// JSON Schema 2020-12 through Ajv, with the standard formats (email, date-time, uri, uuid, …).
import Ajv2020, { type ErrorObject, type ValidateFunction } from 'ajv/dist/2020';
import addFormats from 'ajv-formats';

export interface SchemaProblem {
  /** Dot path below whatever was validated ('' for the value itself). */
  path: string;
  message: string;
}

function newAjv(): Ajv2020 {
  const ajv = new Ajv2020({
    // Every failing field is named, not only the first.
    allErrors: true,
    // An unknown keyword is refused when the schema is saved: "requried" is a typo, not an annotation.
    strictSchema: true,
    // These flag legal schemas (a union of types, a `required` key defined in a sibling); not errors.
    strictTypes: false,
    strictTuples: false,
    strictRequired: false,
    // A schema with an $id is not registered in the instance: two types (or two revisions of one)
    // may carry the same $id.
    addUsedSchema: false,
    // No remote $ref: a schema is self-contained, resolving nothing over the network.
    loadSchema: undefined,
  });
  addFormats(ajv);
  return ajv;
}

// Every compile leaves a few KiB in its Ajv instance for the instance's life, even after
// removeSchema (measured: 3.6 KiB per compile). The validators ingest keeps come from one instance
// for the process: one compile per schema revision. Checks of definitions (every POST and PATCH of
// an event type, every entry `apply` reads) compile and drop, so they use an instance replaced
// every CHECKS_PER_INSTANCE compiles (a new one costs milliseconds: it compiles the meta-schemas).
const kept = newAjv();
const CHECKS_PER_INSTANCE = 200;
let checker = newAjv();
let checks = 0;
function checkingAjv(): Ajv2020 {
  if (++checks > CHECKS_PER_INSTANCE) {
    checker = newAjv();
    checks = 1;
  }
  return checker;
}

/** A JSON pointer ("/items/3/name") as the dot path this API names fields with ("items.3.name"). */
export function pointerToPath(pointer: string): string {
  return pointer
    .split('/')
    .slice(1)
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'))
    .join('.');
}

const join = (a: string, b: string) => (a && b ? `${a}.${b}` : a || b);

/** Ajv's errors as one problem per failing path, naming the missing or unexpected property itself. */
export function describeErrors(errors: ErrorObject[] | null | undefined, onePerPath = false): SchemaProblem[] {
  const out: SchemaProblem[] = [];
  const seen = new Set<string>();
  for (const e of errors ?? []) {
    let path = pointerToPath(e.instancePath);
    let message = e.message ?? 'is invalid';
    const params = e.params as Record<string, unknown>;
    if (e.keyword === 'required' && typeof params.missingProperty === 'string') {
      path = join(path, params.missingProperty);
      message = 'is required';
    } else if (e.keyword === 'additionalProperties' && typeof params.additionalProperty === 'string') {
      path = join(path, params.additionalProperty);
      message = 'is not allowed by the schema';
    } else if (e.keyword === 'unevaluatedProperties' && typeof params.unevaluatedProperty === 'string') {
      path = join(path, params.unevaluatedProperty);
      message = 'is not allowed by the schema';
    }
    const key = onePerPath ? path : `${path}\u0000${message}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push({ path, message });
  }
  return out;
}

export type CompiledSchema = ValidateFunction;

/**
 * Compiles a schema, or says what is wrong with it: first against the 2020-12 meta-schema (paths into
 * the schema), then Ajv's own compile errors (an unknown keyword, a $ref that resolves nowhere).
 * `keep`: the validator is cached for the process (ingest); `check`: it is used once and dropped.
 */
export function compileSchema(
  schema: Record<string, unknown>,
  purpose: 'keep' | 'check',
): { ok: true; validate: CompiledSchema } | { ok: false; problems: SchemaProblem[] } {
  const ajv = purpose === 'keep' ? kept : checkingAjv();
  // The meta-schema's first complaint at each path is the telling one; the rest restate it (anyOf …).
  if (!ajv.validateSchema(schema)) return { ok: false, problems: describeErrors(ajv.errors, true) };
  try {
    return { ok: true, validate: ajv.compile(schema) };
  } catch (err) {
    return { ok: false, problems: [{ path: '', message: (err as Error).message }] };
  }
}

/** Drops the kept instance's cache entry for a schema replaced by a newer revision. */
export function forgetSchema(schema: Record<string, unknown>): void {
  kept.removeSchema(schema);
}

/** Each failing path of `value`, or none. */
export function problemsOf(validate: CompiledSchema, value: unknown): SchemaProblem[] {
  return validate(value) ? [] : describeErrors(validate.errors);
}
