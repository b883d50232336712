// An error answer of the hookflow API. Every error is RFC 9457 problem+json with, for bad input,
// one `{path, message}` per field; this keeps all of it so a caller can show or branch on it.
export interface FieldError {
  path: string;
  message: string;
}

export class HookflowApiError extends Error {
  override readonly name = 'HookflowApiError';
  readonly status: number;
  readonly title: string;
  readonly detail: string;
  readonly type?: string;
  readonly errors: FieldError[];

  constructor(status: number, problem: unknown) {
    const p = (typeof problem === 'object' && problem !== null ? problem : {}) as Record<string, unknown>;
    const title = typeof p.title === 'string' ? p.title : `HTTP ${status}`;
    // A proxy or a crashed server may answer with plain text; keep it as the detail.
    const detail = typeof p.detail === 'string' ? p.detail : typeof problem === 'string' ? problem.slice(0, 500) : '';
    super(detail ? `${title}: ${detail}` : title);
    this.status = status;
    this.title = title;
    this.detail = detail;
    this.type = typeof p.type === 'string' ? p.type : undefined;
    this.errors = Array.isArray(p.errors) ? (p.errors as FieldError[]).filter((e) => typeof e?.path === 'string') : [];
  }
}
