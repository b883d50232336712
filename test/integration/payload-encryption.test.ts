import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { temporal } from '@temporalio/proto';
import { temporalCli } from '../support/engine';
import { startReceiver, type Receiver } from '../support/receiver';
import { API_KEY, startStack, waitFor, type Stack } from '../support/stack';

type RawPayload = temporal.api.common.v1.IPayload;
type JsonPayload = { metadata: Record<string, string>; data: string };

const KEY_ID = 'k2026';
const UI_ORIGIN = 'http://localhost:8233';
const text = (b: Uint8Array | null | undefined) => Buffer.from(b ?? []).toString('utf8');
const toJson = (p: RawPayload): JsonPayload => ({
  metadata: Object.fromEntries(Object.entries(p.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v).toString('base64')])),
  data: Buffer.from(p.data ?? []).toString('base64'),
});
const jsonText = (p: JsonPayload, key?: string) => Buffer.from(key === undefined ? p.data : p.metadata[key] ?? '', 'base64').toString('utf8');

async function post(url: string, body: unknown, headers: Record<string, string> = {}) {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
  return { status: res.status, headers: res.headers, body: (await res.json()) as any };
}
const auth = { authorization: `Bearer ${API_KEY}` };

function assertProblem(res: { status: number; headers: Headers; body: any }, status: number, detail?: RegExp): void {
  const shown = JSON.stringify(res.body);
  assert.equal(res.status, status, shown);
  assert.match(res.headers.get('content-type') ?? '', /^application\/problem\+json/, shown);
  assert.equal(res.body.status, status, shown);
  if (detail) assert.match(res.body.detail, detail, shown);
}

/**
 * Every payload in a raw history, by where it sits. Search attributes are left out on purpose: they
 * are the server's index (HookflowEventId is plaintext by design) and no codec touches them.
 */
function payloadsIn(events: temporal.api.history.v1.IHistoryEvent[]): { where: string; payload: RawPayload }[] {
  const found: { where: string; payload: RawPayload }[] = [];
  const walk = (node: unknown, where: string): void => {
    if (!node || typeof node !== 'object' || node instanceof Uint8Array) return;
    for (const [key, value] of Object.entries(node)) {
      if (key === 'searchAttributes') continue;
      if (key === 'payloads' && Array.isArray(value)) {
        value.forEach((payload: RawPayload, i) => found.push({ where: `${where}.payloads[${i}]`, payload }));
      } else if (Array.isArray(value)) {
        value.forEach((v, i) => walk(v, `${where}.${key}[${i}]`));
      } else {
        walk(value, `${where}.${key}`);
      }
    }
  };
  events.forEach((e, i) => walk(e, `event${i + 1}`));
  return found;
}

void describe('Temporal payload encryption (HOOKFLOW_PAYLOAD_KEY) and the codec endpoint', () => {
  let stack: Stack;
  let plain: Stack;
  let receiver: Receiver;
  let ids: { deliveryId: string; eventId: string; subscriptionId: string };
  let history: RawPayload[] = [];
  let byPlace: { where: string; payload: RawPayload }[] = [];

  before(async () => {
    [stack, plain, receiver] = await Promise.all([
      startStack({ HOOKFLOW_PAYLOAD_KEY: `${KEY_ID}:${randomBytes(32).toString('base64')}` }),
      startStack({}, { worker: false }),
      // Request 0 is the ping that proves the endpoint fast (a new endpoint's first attempt is a
      // regular activity, docs/flow-control.md). The event's first attempt then fails, so its history
      // holds the local first attempt's marker and the regular activity's input and result: every
      // kind of place a payload can sit.
      startReceiver((_q, i) => ({ status: i === 1 ? 503 : 200 })),
    ]);
  });
  after(async () => {
    await Promise.all([stack?.stop(), plain?.stop(), receiver?.close()]);
  });

  void test('a delivery succeeds end to end, and the status query (through the codec) still answers', async () => {
    const sub = await stack.call('POST', '/v1/subscriptions', { url: receiver.url, eventTypes: ['invoice.paid'], ping: true });
    assert.equal(sub.status, 201, JSON.stringify(sub.body));
    assert.equal(sub.body.ping?.outcome, 'succeeded', JSON.stringify(sub.body.ping));
    receiver.secrets = [sub.body.secret];
    const evt = await stack.call('POST', '/v1/events', { type: 'invoice.paid', data: { invoice: 'inv_42', amount: 1999 } });
    assert.equal(evt.status, 202, JSON.stringify(evt.body));
    ids = { deliveryId: evt.body.deliveries[0].id, eventId: evt.body.id, subscriptionId: sub.body.id };

    const status = await waitFor(async () => {
      const r = await stack.call('GET', `/v1/deliveries/${ids.deliveryId}`);
      return r.status === 200 && r.body.state === 'succeeded' ? r.body : undefined;
    }, 'the delivery to succeed');
    assert.equal(status.deliveryId, ids.deliveryId);
    assert.equal(status.eventId, ids.eventId);
    assert.equal(status.subscriptionId, ids.subscriptionId);
    assert.equal(status.attempts, 2);
    assert.equal(receiver.received.length, 3);
    for (const r of receiver.received.slice(1)) {
      assert.equal(r.verified, true, r.verifyError);
      assert.deepEqual(r.payload?.data, { invoice: 'inv_42', amount: 1999 });
    }
  });

  void test('the history stored on the Temporal server holds only ciphertext', async () => {
    assert.ok(ids, 'needs the delivery from the first test');
    await waitFor(async () => (await stack.temporal.client.workflow.getHandle(ids.deliveryId).describe()).status.name === 'COMPLETED', 'the workflow to complete');
    const events: temporal.api.history.v1.IHistoryEvent[] = [];
    let nextPageToken: Uint8Array | undefined;
    do {
      // The raw gRPC service: no data converter between the server's bytes and this test.
      const page = await stack.temporal.connection.workflowService.getWorkflowExecutionHistory({
        namespace: stack.config.temporal.namespace,
        execution: { workflowId: ids.deliveryId },
        nextPageToken,
      });
      events.push(...(page.history?.events ?? []));
      nextPageToken = page.nextPageToken?.length ? page.nextPageToken : undefined;
    } while (nextPageToken);

    // Temporal's own marker bookkeeping (which patch applied; a local activity's sequence number,
    // attempt and times) is written by the SDK core without the codec. It must hold only those keys.
    const bookkeeping = (where: string) => /markerRecordedEventAttributes\.details\.(patch-data|data)\.payloads/.test(where);
    const SDK_MARKER_KEYS = new Set(['id', 'deprecated', 'seq', 'attempt', 'activity_id', 'activity_type', 'complete_time', 'backoff', 'original_schedule_time']);
    const all = payloadsIn(events);
    for (const { where, payload } of all.filter((p) => bookkeeping(p.where))) {
      assert.equal(text(payload.metadata?.encoding), 'json/plain', where);
      const keys = Object.keys(JSON.parse(text(payload.data)) as object);
      assert.ok(keys.every((k) => SDK_MARKER_KEYS.has(k)), `${where} holds more than SDK bookkeeping: ${keys.join(', ')}`);
    }
    byPlace = all.filter((p) => !bookkeeping(p.where));
    history = byPlace.map((p) => p.payload);
    const kinds = (attr: keyof temporal.api.history.v1.IHistoryEvent) => events.filter((e) => e[attr]).length;
    // The places the brief names must be present and covered, not merely "no payload found".
    const started = events.find((e) => e.workflowExecutionStartedEventAttributes)!.workflowExecutionStartedEventAttributes!;
    const completed = events.find((e) => e.workflowExecutionCompletedEventAttributes)?.workflowExecutionCompletedEventAttributes;
    assert.equal(started.input?.payloads?.length, 1, 'workflow input');
    assert.equal(completed?.result?.payloads?.length, 1, 'workflow result');
    assert.ok(kinds('markerRecordedEventAttributes') >= 1, 'local first attempt marker');
    assert.ok(kinds('activityTaskScheduledEventAttributes') >= 1, 'activity scheduled');
    assert.ok(kinds('activityTaskCompletedEventAttributes') >= 1, 'activity completed');
    const activityInputs = byPlace.filter((p) => /activityTaskScheduledEventAttributes\.input/.test(p.where));
    const activityResults = byPlace.filter((p) => /activityTaskCompletedEventAttributes\.result/.test(p.where));
    const markerFailureDetails = byPlace.filter((p) => /markerRecordedEventAttributes\.failure\..*details/.test(p.where));
    assert.ok(activityInputs.length >= 1 && activityResults.length >= 1 && markerFailureDetails.length >= 1, byPlace.map((p) => p.where).join(', '));

    for (const { where, payload } of byPlace) {
      assert.equal(text(payload.metadata?.encoding), 'binary/encrypted', `${where} is not encrypted`);
      assert.equal(text(payload.metadata?.['encryption-key-id']), KEY_ID, where);
      assert.deepEqual(Object.keys(payload.metadata ?? {}).sort(), ['encoding', 'encryption-key-id'], `${where} leaks metadata`);
      const bytes = Buffer.from(payload.data ?? []);
      for (const [name, id] of Object.entries(ids)) {
        assert.ok(!bytes.includes(id), `${where} holds the plaintext ${name} ${id}`);
      }
      assert.ok(!bytes.includes('json/plain') && !bytes.includes('deliveryId'), `${where} holds plaintext JSON`);
    }
  });

  void test('the codec endpoint decodes the raw history for a caller with the API key', async () => {
    assert.ok(history.length >= 4, `expected the raw history payloads, got ${history.length}`);
    const res = await post(`${stack.url}/codec/decode`, { payloads: history.map(toJson) }, { ...auth, 'x-namespace': 'default' });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.equal(res.body.payloads.length, history.length);
    const decoded = (res.body.payloads as JsonPayload[]).map((p) => {
      assert.equal(jsonText(p, 'encoding'), 'json/plain');
      return JSON.parse(jsonText(p)) as unknown;
    });
    const input = decoded[byPlace.findIndex((p) => /workflowExecutionStartedEventAttributes\.input/.test(p.where))] as any;
    assert.equal(input.deliveryId, ids.deliveryId);
    assert.equal(input.eventId, ids.eventId);
    assert.equal(input.subscriptionId, ids.subscriptionId);
    const result = decoded[byPlace.findIndex((p) => /workflowExecutionCompletedEventAttributes\.result/.test(p.where))] as any;
    assert.equal(result.state, 'succeeded');
    assert.ok(JSON.stringify(decoded).includes(ids.deliveryId));
  });

  void test('the codec endpoint answers 401 problem+json without a valid API key, and decodes nothing', async () => {
    const body = { payloads: history.slice(0, 1).map(toJson) };
    const attempts: Record<string, string>[] = [{}, { authorization: 'Bearer not-the-key-0123456789' }, { authorization: `Basic ${API_KEY}` }];
    for (const headers of attempts) {
      for (const op of ['decode', 'encode']) {
        const res = await post(`${stack.url}/codec/${op}`, body, headers);
        assertProblem(res, 401);
        assert.ok(!JSON.stringify(res.body).includes(ids.deliveryId));
      }
    }
  });

  void test('the temporal CLI, a real codec-protocol client, shows decoded history through the endpoint', async () => {
    const shown = await temporalCli(stack, [
      ...['workflow', 'show', '--workflow-id', ids.deliveryId, '--output', 'json'],
      ...['--codec-endpoint', `${stack.url}/codec`, '--codec-auth', `Bearer ${API_KEY}`],
    ]);
    const started = JSON.parse(shown).events[0].workflowExecutionStartedEventAttributes;
    // The CLI's JSON keeps proto3 JSON (base64 bytes), but of the payload our endpoint decrypted.
    const [input] = started.input.payloads as JsonPayload[];
    assert.equal(jsonText(input!, 'encoding'), 'json/plain', JSON.stringify(started.input));
    assert.equal(JSON.parse(jsonText(input!)).deliveryId, ids.deliveryId);
  });

  void test('encode then decode through the endpoint round-trips, with a fresh ciphertext', async () => {
    const payload = { metadata: { encoding: Buffer.from('json/plain').toString('base64') }, data: Buffer.from('{"hello":"operator"}').toString('base64') };
    const enc = await post(`${stack.url}/codec/encode`, { payloads: [payload] }, auth);
    assert.equal(enc.status, 200, JSON.stringify(enc.body));
    const wire = enc.body.payloads[0] as JsonPayload;
    assert.equal(jsonText(wire, 'encoding'), 'binary/encrypted');
    assert.equal(jsonText(wire, 'encryption-key-id'), KEY_ID);
    assert.ok(!jsonText(wire).includes('operator'));
    const dec = await post(`${stack.url}/codec/decode`, { payloads: [wire, payload] }, auth);
    assert.equal(dec.status, 200, JSON.stringify(dec.body));
    assert.deepEqual(dec.body.payloads, [payload, payload], 'decoded, and a plaintext payload passed through');
  });

  void test('a tampered payload is refused with 422 naming it; malformed bodies get 400', async () => {
    const tampered = toJson(history[0]!);
    const bytes = Buffer.from(tampered.data, 'base64');
    bytes[20] = bytes[20]! ^ 0xff;
    tampered.data = bytes.toString('base64');
    const res = await post(`${stack.url}/codec/decode`, { payloads: [toJson(history[0]!), tampered] }, auth);
    assertProblem(res, 422, /payloads\.1: .*failed authentication/);
    assertProblem(await post(`${stack.url}/codec/decode`, { nope: [] }, auth), 400);
    assertProblem(await post(`${stack.url}/codec/decode`, { payloads: [{ data: 'not base64!' }] }, auth), 400);
  });

  void test('CORS: the Web UI origin gets an unauthenticated preflight and readable answers; other origins do not', async () => {
    const preflight = (origin: string) =>
      fetch(`${stack.url}/codec/decode`, {
        method: 'OPTIONS',
        headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization,content-type,x-namespace' },
      });
    const ok = await preflight(UI_ORIGIN);
    assert.equal(ok.status, 204);
    assert.equal(ok.headers.get('access-control-allow-origin'), UI_ORIGIN);
    assert.equal(ok.headers.get('access-control-allow-credentials'), 'true');
    assert.equal(ok.headers.get('access-control-allow-headers'), 'authorization, content-type, x-namespace');
    assert.match(ok.headers.get('access-control-allow-methods') ?? '', /POST/);

    const evil = await preflight('https://evil.example');
    assert.equal(evil.headers.get('access-control-allow-origin'), null);
    assert.equal(evil.headers.get('access-control-allow-credentials'), null);

    const body = { payloads: history.slice(0, 1).map(toJson) };
    const decoded = await post(`${stack.url}/codec/decode`, body, { ...auth, origin: UI_ORIGIN, 'x-namespace': 'default' });
    assert.equal(decoded.status, 200);
    assert.equal(decoded.headers.get('access-control-allow-origin'), UI_ORIGIN);
    assert.match(decoded.headers.get('vary') ?? '', /origin/i);
    const denied = await post(`${stack.url}/codec/decode`, body, { origin: UI_ORIGIN });
    assertProblem(denied, 401);
    assert.equal(denied.headers.get('access-control-allow-origin'), UI_ORIGIN, 'the UI must be able to read the 401');
    const foreign = await post(`${stack.url}/codec/decode`, body, { ...auth, origin: 'https://evil.example' });
    assert.equal(foreign.headers.get('access-control-allow-origin'), null);
  });

  void test('without HOOKFLOW_PAYLOAD_KEY the codec endpoints answer 404 problem+json (after auth), and history is plaintext', async () => {
    const body = { payloads: history.slice(0, 1).map(toJson) };
    for (const op of ['decode', 'encode']) {
      assertProblem(await post(`${plain.url}/codec/${op}`, body, auth), 404, /payload encryption is not enabled/);
      assertProblem(await post(`${plain.url}/codec/${op}`, body), 401);
    }
    // The control for the ciphertext test above: without a key the same start writes readable JSON.
    const workflowId = `plain-${randomBytes(4).toString('hex')}`;
    await plain.temporal.client.workflow.start('deliveryWorkflow', {
      workflowId,
      taskQueue: `nobody-polls-${workflowId}`,
      args: [{ ...ids, deliveryId: workflowId }],
    });
    try {
      const page = await plain.temporal.connection.workflowService.getWorkflowExecutionHistory({
        namespace: plain.config.temporal.namespace,
        execution: { workflowId },
      });
      const [input] = payloadsIn(page.history?.events ?? []);
      assert.equal(text(input?.payload.metadata?.encoding), 'json/plain');
      assert.ok(Buffer.from(input!.payload.data!).includes(ids.eventId));
    } finally {
      await plain.temporal.client.workflow.getHandle(workflowId).terminate('test control');
    }
  });
});
