// What a subscription's payload filter may say, checked before it is stored: a JSON object matched
// against the event's { type, data } with MongoDB-style operators. The check allows a closed set of
// operators (the matching library knows more, such as $where and $regex, which run code or can take
// exponential time) and bounds the filter's size, depth and number of conditions, so the cost of
// evaluating it at fan-out stays small. Its output is the query the matching library runs
// (match.ts): nested objects become dotted paths, as in { "data.amount": { "$gte": 100 } }.

export const MAX_FILTER_BYTES = 4096;
export const MAX_DEPTH = 8;
export const MAX_CONDITIONS = 64;
export const MAX_LIST = 100;

/** Operators that combine whole conditions: valid wherever a query object is. */
const COMBINATORS = ['$and', '$or', '$not'] as const;
/** Operators that test one field's value. */
const FIELD_OPERATORS = ['$eq', '$ne', '$gt', '$gte', '$lt', '$lte', '$in', '$nin', '$exists', '$startsWith', '$not'] as const;
export const SUPPORTED_OPERATORS = [...new Set<string>([...FIELD_OPERATORS, ...COMBINATORS])].sort();
const ROOT_FIELDS = ['type', 'data'];

export type Path = (string | number)[];
export interface FilterProblem {
  path: Path;
  message: string;
}

type Query = Record<string, unknown>;

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isOperator = (k: string) => k.startsWith('$');

/** The query for the matching library, or every problem found (each with its path inside the filter). */
export function checkFilter(filter: unknown): { ok: true; query: Query } | { ok: false; problems: FilterProblem[] } {
  const problems: FilterProblem[] = [];
  if (!isObject(filter)) return { ok: false, problems: [{ path: [], message: 'must be a JSON object' }] };
  const bytes = Buffer.byteLength(JSON.stringify(filter), 'utf8');
  if (bytes > MAX_FILTER_BYTES) return { ok: false, problems: [{ path: [], message: `must serialise to at most ${MAX_FILTER_BYTES} bytes (got ${bytes})` }] };
  if (Object.keys(filter).length === 0) return { ok: false, problems: [{ path: [], message: 'must not be empty; send null to remove the filter' }] };
  const state = { conditions: 0 };
  const query = queryOf(filter, '', [], 1, problems, state);
  if (state.conditions > MAX_CONDITIONS) problems.push({ path: [], message: `at most ${MAX_CONDITIONS} conditions (got ${state.conditions})` });
  return problems.length > 0 ? { ok: false, problems } : { ok: true, query };
}

interface State {
  conditions: number;
}

/** A query object: field names (relative to `prefix`) and combinators. */
function queryOf(obj: Query, prefix: string, path: Path, depth: number, problems: FilterProblem[], state: State): Query {
  if (depth > MAX_DEPTH) {
    problems.push({ path, message: `nests deeper than ${MAX_DEPTH} levels` });
    return {};
  }
  const clauses: Query[] = [];
  for (const [key, value] of Object.entries(obj)) {
    const at = [...path, key];
    if (key === '$and' || key === '$or') {
      if (!Array.isArray(value) || value.length === 0 || value.length > MAX_LIST || !value.every(isObject)) {
        problems.push({ path: at, message: `must be a list of 1-${MAX_LIST} filter objects` });
        continue;
      }
      clauses.push({ [key]: value.map((q, i) => queryOf(q as Query, prefix, [...at, i], depth + 1, problems, state)) });
    } else if (key === '$not') {
      if (!isObject(value) || Object.keys(value).length === 0) {
        problems.push({ path: at, message: 'must be a non-empty filter object' });
        continue;
      }
      clauses.push({ $not: queryOf(value, prefix, at, depth + 1, problems, state) });
    } else if (isOperator(key)) {
      problems.push({
        path: at,
        message: (FIELD_OPERATORS as readonly string[]).includes(key)
          ? `${key} must apply to a field, as in {"data": {"amount": {"${key}": …}}}`
          : `is not a supported operator (supported: ${SUPPORTED_OPERATORS.join(' ')})`,
      });
    } else {
      if (prefix === '' && !ROOT_FIELDS.includes(key.split('.')[0]!)) {
        problems.push({ path: at, message: 'must be "type" or "data": the filter matches the event\'s { type, data }' });
        continue;
      }
      if (key === '' || key.split('.').some((part) => part === '')) {
        problems.push({ path: at, message: 'is not a field name' });
        continue;
      }
      clauses.push(...fieldClauses(prefix === '' ? key : `${prefix}.${key}`, value, at, depth + 1, problems, state));
    }
  }
  return clauses.length === 1 ? clauses[0]! : { $and: clauses };
}

/** The value given for one field: an operator expression, a nested query, or a value to equal. */
function fieldClauses(field: string, value: unknown, path: Path, depth: number, problems: FilterProblem[], state: State): Query[] {
  if (!isObject(value)) {
    state.conditions += 1;
    checkValue(value, path, depth, problems);
    return [{ [field]: value }];
  }
  const keys = Object.keys(value);
  if (keys.length === 0) {
    problems.push({ path, message: 'must not be an empty object; use {"$exists": true} to require the field' });
    return [];
  }
  const operators = keys.filter(isOperator);
  if (operators.length === 0 || operators.every((k) => k === '$and' || k === '$or')) {
    if (operators.length > 0 && operators.length !== keys.length) {
      problems.push({ path, message: 'mixes operators and field names' });
      return [];
    }
    // Nested fields: { "data": { "customer": { "tier": "gold" } } } tests data.customer.tier.
    return [queryOf(value, field, path, depth, problems, state)];
  }
  if (operators.length !== keys.length) {
    problems.push({ path, message: 'mixes operators and field names' });
    return [];
  }
  return [{ [field]: operatorExpression(value, path, depth, problems, state) }];
}

function operatorExpression(expr: Query, path: Path, depth: number, problems: FilterProblem[], state: State): Query {
  if (depth > MAX_DEPTH) {
    problems.push({ path, message: `nests deeper than ${MAX_DEPTH} levels` });
    return {};
  }
  const out: Query = {};
  for (const [op, operand] of Object.entries(expr)) {
    const at = [...path, op];
    state.conditions += 1;
    switch (op) {
      case '$eq':
      case '$ne':
        checkValue(operand, at, depth + 1, problems);
        break;
      case '$gt':
      case '$gte':
      case '$lt':
      case '$lte':
        if (typeof operand !== 'number' && typeof operand !== 'string') problems.push({ path: at, message: 'must be a number or a string' });
        break;
      case '$in':
      case '$nin':
        if (!Array.isArray(operand) || operand.length > MAX_LIST) problems.push({ path: at, message: `must be a list of at most ${MAX_LIST} values` });
        else operand.forEach((v, i) => checkValue(v, [...at, i], depth + 2, problems));
        break;
      case '$exists':
        if (typeof operand !== 'boolean') problems.push({ path: at, message: 'must be true or false' });
        break;
      case '$startsWith':
        if (typeof operand !== 'string') problems.push({ path: at, message: 'must be a string' });
        break;
      case '$not':
        if (!isObject(operand) || Object.keys(operand).length === 0 || !Object.keys(operand).every(isOperator)) {
          problems.push({ path: at, message: 'must be an object of operators, as in {"$not": {"$gte": 100}}' });
          continue;
        }
        out[op] = operatorExpression(operand, at, depth + 1, problems, state);
        continue;
      default:
        problems.push({ path: at, message: `is not a supported operator (supported: ${SUPPORTED_OPERATORS.join(' ')})` });
        continue;
    }
    out[op] = operand;
  }
  return out;
}

/** A value to compare with: any JSON, bounded in depth (strings and lists are bounded by the byte limit). */
function checkValue(value: unknown, path: Path, depth: number, problems: FilterProblem[]): void {
  if (depth > MAX_DEPTH) {
    problems.push({ path, message: `nests deeper than ${MAX_DEPTH} levels` });
    return;
  }
  if (Array.isArray(value)) value.forEach((v, i) => checkValue(v, [...path, i], depth + 1, problems));
  else if (isObject(value)) {
    for (const [k, v] of Object.entries(value)) {
      if (isOperator(k)) {
        problems.push({ path: [...path, k], message: 'an operator cannot appear inside a value' });
        return;
      }
      checkValue(v, [...path, k], depth + 1, problems);
    }
  }
}
