// Tenants and tenant tokens for the integration tests.
import assert from 'node:assert/strict';
import { callApi, type ApiResponse } from './call-api';
import type { Stack } from './stack';

let counter = 0;

export interface TestTenant {
  id: string;
  token: string;
  tokenId: string;
  /** A call with this tenant's token instead of the admin key. */
  call(method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<ApiResponse>;
}

/** Creates a tenant with a caller-chosen ID and one token for it. */
export async function createTenant(stack: Pick<Stack, 'url' | 'call'>, prefix = 'acme'): Promise<TestTenant> {
  const id = `${prefix}-${process.pid}-${++counter}`;
  const created = await stack.call('POST', '/v1/tenants', { id, name: `Tenant ${id}` });
  assert.equal(created.status, 201, JSON.stringify(created.body));
  const token = await stack.call('POST', `/v1/tenants/${id}/tokens`, { name: 'test' });
  assert.equal(token.status, 201, JSON.stringify(token.body));
  return {
    id,
    token: token.body.token,
    tokenId: token.body.id,
    call: (method, path, body, headers) => callApi(stack.url, token.body.token, method, path, body, headers),
  };
}
