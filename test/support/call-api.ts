export interface ApiResponse {
  status: number;
  body: any;
  headers: Headers;
}

/** One authorised JSON call to a hookflow API; a body that is not JSON comes back as text. */
export async function callApi(
  baseUrl: string,
  apiKey: string,
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<ApiResponse> {
  const res = await fetch(baseUrl + path, {
    method,
    headers: {
      authorization: `Bearer ${apiKey}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      ...headers,
    },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    signal: AbortSignal.timeout(30_000),
  });
  return readResponse(res);
}

/** Status, headers and the body as JSON; a body that is not JSON comes back as text. */
export async function readResponse(res: Response): Promise<ApiResponse> {
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    /* keep the raw text */
  }
  return { status: res.status, body: parsed, headers: res.headers };
}
