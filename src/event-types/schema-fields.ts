// A JSON Schema as a person reads it: one row per field (`customer.email`, `lines[].amount`) with its
// type, whether it is required and its description. For `hookflow event-types show` and the portal.

export interface SchemaField {
  path: string;
  type: string;
  required: boolean;
  description: string | null;
}

type Schema = Record<string, unknown>;
const isSchema = (v: unknown): v is Schema => typeof v === 'object' && v !== null && !Array.isArray(v);
// Bounds: a recursive schema ($ref to itself) must still print a finite table.
const MAX_DEPTH = 6;
const MAX_FIELDS = 200;

/** Follows a local `#/...` ref inside the root schema; other refs are left as they are. */
function resolve(root: Schema, s: Schema): Schema {
  let current = s;
  for (let hops = 0; hops < 10 && typeof current.$ref === 'string' && current.$ref.startsWith('#/'); hops++) {
    let target: unknown = root;
    for (const part of current.$ref.slice(2).split('/')) {
      target = isSchema(target) ? target[part.replace(/~1/g, '/').replace(/~0/g, '~')] : undefined;
    }
    if (!isSchema(target)) break;
    const { $ref: _ref, ...rest } = current;
    current = { ...target, ...rest };
  }
  return current;
}

function typeOf(s: Schema): string {
  if ('const' in s) return `const ${JSON.stringify(s.const)}`;
  if (Array.isArray(s.enum)) return `one of ${s.enum.map((v) => JSON.stringify(v)).join(', ')}`;
  const t = Array.isArray(s.type) ? s.type.join(' | ') : typeof s.type === 'string' ? s.type : undefined;
  const base = t === 'array' && isSchema(s.items) && typeof s.items.type === 'string' ? `array of ${s.items.type}` : t;
  const variants = ['oneOf', 'anyOf'].find((k) => Array.isArray(s[k]));
  const shown = base ?? (variants ? variants : typeof s.$ref === 'string' ? s.$ref : 'any');
  return typeof s.format === 'string' ? `${shown} (${s.format})` : shown;
}

export function schemaFields(schema: Schema): SchemaField[] {
  const fields: SchemaField[] = [];
  const walk = (node: Schema, prefix: string, depth: number) => {
    const s = resolve(schema, node);
    const props = isSchema(s.properties) ? s.properties : {};
    const required = new Set(Array.isArray(s.required) ? s.required.filter((r): r is string => typeof r === 'string') : []);
    for (const [name, raw] of Object.entries(props)) {
      if (fields.length >= MAX_FIELDS || !isSchema(raw)) continue;
      const child = resolve(schema, raw);
      const path = prefix ? `${prefix}.${name}` : name;
      fields.push({ path, type: typeOf(child), required: required.has(name), description: typeof child.description === 'string' ? child.description : null });
      if (depth >= MAX_DEPTH) continue;
      if (isSchema(child.properties)) walk(child, path, depth + 1);
      else if (child.type === 'array' && isSchema(child.items)) {
        const items = resolve(schema, child.items);
        if (isSchema(items.properties)) walk(items, `${path}[]`, depth + 1);
      }
    }
  };
  walk(schema, '', 0);
  return fields;
}
