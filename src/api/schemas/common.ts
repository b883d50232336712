import { z } from 'zod';

export const ID_PATTERN = /^[a-zA-Z0-9_.:-]{1,128}$/;
export const idParam = (name: string) =>
  z.object({ id: z.string().regex(ID_PATTERN, `must be a ${name} ID (letters, digits, _ . : -; at most 128)`) });

export const tenantIdField = z.string().regex(ID_PATTERN, 'must be a tenant ID (letters, digits, _ . : -; at most 128)');
export const tenantFilterQuery = z.object({ tenantId: tenantIdField.optional() });

export const paginationQuery = z.object({
  limit: z.coerce.number().int().min(1).max(100).default(20),
  cursor: z.string().max(4096).optional(),
});

export const problemSchema = z
  .object({
    type: z.string(),
    title: z.string(),
    status: z.number().int(),
    detail: z.string(),
    instance: z.string().optional(),
    errors: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
  })
  .describe('RFC 9457 problem details');

/** The error responses every authenticated route can give, for the OpenAPI document. */
export const problemResponses = {
  400: problemSchema,
  401: problemSchema,
  403: problemSchema,
  404: problemSchema,
  503: problemSchema,
};

export const listOf = <T extends z.ZodType>(item: T) =>
  z.object({ data: z.array(item), nextCursor: z.string().nullable() });

/** The (createdAt, id) keyset cursor of the list routes; validated fully, so a forged one is a 400, not a database error. */
export const keysetCursorSchema = z.object({ createdAt: z.iso.datetime(), id: z.string().regex(ID_PATTERN) });

export function encodeCursor(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

/** Decodes a cursor made by encodeCursor; anything else is a 400 naming `query.cursor`. */
export function decodeCursor<T>(cursor: string, schema: z.ZodType<T>): T | undefined {
  try {
    const parsed = schema.safeParse(JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

export const EVENT_TYPE_PATTERN = /^[a-zA-Z0-9_]+(\.[a-zA-Z0-9_]+)*$/;

// Postgres text cannot hold NUL, jsonb also refuses unpaired UTF-16 surrogates, and pg would
// silently turn an unpaired surrogate in a text column into U+FFFD. Refusing them in the schema
// gives a 400 naming the field instead of a 500 or silently altered data.
const UNSTORABLE = /\u0000|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;
export const UNSTORABLE_MESSAGE = 'must not contain NUL characters or unpaired surrogates';

export const isStorableText = (s: string): boolean => !UNSTORABLE.test(s);

/**
 * Text that Postgres can store. The NUL rule is a pattern, so the OpenAPI document states it; an
 * unpaired surrogate cannot be named in a JSON Schema pattern, so that half stays a refinement
 * (and is said in the description), reported only when the pattern did not already fail.
 */
export const storableText = <T extends z.ZodString | z.ZodURL>(s: T) =>
  s.regex(/^[^\u0000]*$/, UNSTORABLE_MESSAGE).refine((v) => v.includes('\u0000') || isStorableText(v), UNSTORABLE_MESSAGE);

/** The rule of storableText, for descriptions of fields (and of JSON values) that carry it. */
export const STORABLE_NOTE = 'Text must not contain NUL characters or unpaired UTF-16 surrogates (400).';

/** Every string and object key in a JSON value is storable text. */
export function isStorableJson(v: unknown): boolean {
  if (typeof v === 'string') return isStorableText(v);
  if (Array.isArray(v)) return v.every(isStorableJson);
  if (v && typeof v === 'object') return Object.entries(v).every(([k, x]) => isStorableText(k) && isStorableJson(x));
  return true;
}
