// Errors that carry their own HTTP answer (RFC 9457 problems). Free of Fastify, so auth, config and
// the services can raise them without loading the API; src/api/problem.ts renders them.

export interface FieldError {
  path: string;
  message: string;
}

/** An RFC 9457 problem; thrown from handlers and rendered by the central error handler. */
export class Problem extends Error {
  constructor(
    readonly status: number,
    readonly title: string,
    readonly detail: string,
    readonly errors?: FieldError[],
    readonly headers?: Record<string, string>,
  ) {
    super(detail);
  }
}

export const notFound = (what: string, id: string) => new Problem(404, 'Not Found', `${what} ${id} does not exist`);
export const conflict = (detail: string) => new Problem(409, 'Conflict', detail);
export const badRequest = (errors: FieldError[]) =>
  new Problem(400, 'Validation Failed', errors.map((e) => `${e.path}: ${e.message}`).join('; '), errors);
