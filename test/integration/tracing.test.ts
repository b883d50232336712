// One event, traced end to end into a real OpenTelemetry Collector: the API request, the fan-out, each
// workflow start, the workflow, each attempt's activity (the local first attempt and the regular
// retry) and each HTTP request, in one trace with the parents the Temporal headers carry.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { Writable } from 'node:stream';
import { temporal } from '@temporalio/proto';
import { Worker, bundleWorkflowCode } from '@temporalio/worker';
import { WORKFLOWS_PATH } from '../../src/server/temporal-worker';
import { workflowPreloadModules } from '../../src/temporal/bundle-workflows';
import { after, before, describe, test } from 'node:test';
import { createLogger } from '../../src/logger';
import { waitForState } from '../support/engine';
import { startCollector, type Collector, type ReceivedSpan } from '../otlp-collector/collector';
import { receiverPool } from '../support/receiver';
import { startStack, waitFor, type Stack } from '../support/stack';

const SERVER = 2;
const CLIENT = 3;
const ERROR = 2;

void describe('tracing: one trace per event, through Temporal, to the endpoint', () => {
  let collector: Collector;
  let stack: Stack;
  const pool = receiverPool();
  const lines: Record<string, unknown>[] = [];

  before(async () => {
    collector = await startCollector();
    const env = { OTEL_EXPORTER_OTLP_ENDPOINT: collector.endpoint, OTEL_SERVICE_NAME: 'hookflow-test', LOG_LEVEL: 'debug' };
    const sink = new Writable({
      write(chunk: Buffer, _enc, done) {
        for (const line of chunk.toString().split('\n')) if (line.trim()) lines.push(JSON.parse(line) as Record<string, unknown>);
        done();
      },
    });
    const log = createLogger({ logLevel: 'debug', tracing: { url: collector.endpoint, protocol: 'http/protobuf', serviceName: 'hookflow-test' } }, { destination: sink });
    stack = await startStack(env, { log });
  });
  after(async () => {
    await stack?.stop();
    await stack?.tracing?.shutdown();
    await collector?.stop();
    await pool.closeAll();
  });

  void test('the spans of one event arrive in one trace, parent and child as the event travelled', async () => {
    assert.ok(stack.tracing, 'OTEL_EXPORTER_OTLP_ENDPOINT turns tracing on');
    // Request 0 to each endpoint is the creation ping: it makes the endpoint known to answer fast, so
    // the event's first attempt is the local one (a new endpoint's is a regular activity).
    const flaky = await pool.start((_req, i) => ({ status: i === 1 ? 500 : 200 }));
    const steady = await pool.start(() => ({ status: 200 }));
    const type = 'traced.event';
    const subs = [];
    for (const [r, traceparent] of [[flaky, true], [steady, false]] as const) {
      const res = await stack.call('POST', '/v1/subscriptions', { url: r.url, eventTypes: [type], traceparent, ping: true });
      assert.equal(res.status, 201, JSON.stringify(res.body));
      assert.equal(res.body.ping?.outcome, 'succeeded', JSON.stringify(res.body.ping));
      assert.equal(res.body.traceparent, traceparent);
      r.secrets = [res.body.secret];
      subs.push(res.body);
    }
    const sent = await stack.call('POST', '/v1/events', { type, data: { n: 1 } });
    assert.equal(sent.status, 202);
    const deliveries = new Map<string, string>(sent.body.deliveries.map((d: { id: string; subscriptionId: string }) => [d.subscriptionId, d.id]));
    const flakyDelivery = deliveries.get(subs[0].id)!;
    const steadyDelivery = deliveries.get(subs[1].id)!;
    await waitForState(stack, flakyDelivery, 'succeeded');
    await waitForState(stack, steadyDelivery, 'succeeded');

    // Fifteen spans: the request, the fan-out, 2 × (workflow start, workflow), 3 × (attempt scheduled, attempt,
    // HTTP request). Found by their structure below, so a missing or misplaced one fails naming what is wrong.
    const trace = await waitFor(async () => {
      // A workflow's spans reach the exporter when its last task ends, which may be after the record says succeeded.
      await stack.tracing!.flush();
      const server = collector.spans().find((s) => s.kind === SERVER && s.name === 'POST /v1/events');
      if (!server) return undefined;
      const spans = collector.spans().filter((s) => s.traceId === server.traceId);
      return spans.filter((s) => s.kind === CLIENT && s.name === 'POST').length === 3 && spans.filter((s) => s.name === 'RunWorkflow:deliveryWorkflow').length === 2
        ? { server, spans }
        : undefined;
    }, 'the collector to receive the event\'s spans', 20_000);
    const { server, spans } = trace;
    const childrenOf = (parent: ReceivedSpan, name: string) => spans.filter((s) => s.parentSpanId === parent.spanId && s.name === name);
    const only = (parent: ReceivedSpan, name: string) => {
      const found = childrenOf(parent, name);
      assert.equal(found.length, 1, `one ${name} under ${parent.name}: ${JSON.stringify(spans.map((s) => [s.name, s.spanId, s.parentSpanId]))}`);
      return found[0]!;
    };

    assert.equal(server.parentSpanId, '', 'the request is the root');
    assert.equal(server.service, 'hookflow-test');
    assert.equal(server.attributes['http.response.status_code'], 202);
    const fanout = only(server, 'hookflow.fanout');
    assert.equal(fanout.attributes['hookflow.event_id'], sent.body.id);
    const starts = childrenOf(fanout, 'StartWorkflow:deliveryWorkflow');
    assert.deepEqual(starts.map((s) => s.attributes.temporalWorkflowId).sort(), [flakyDelivery, steadyDelivery].sort());

    const requests = new Map<string, ReceivedSpan[]>();
    for (const start of starts) {
      const workflow = only(start, 'RunWorkflow:deliveryWorkflow');
      const delivery = String(start.attributes.temporalWorkflowId);
      // Each attempt is scheduled by the workflow (the first as a local activity) and runs as an activity.
      const sends = childrenOf(workflow, 'StartActivity:deliver').map((scheduled) => {
        const ran = only(scheduled, 'RunActivity:deliver');
        assert.equal(ran.attributes.temporalWorkflowId, delivery);
        return only(ran, 'POST');
      });
      requests.set(delivery, sends.sort((a, b) => Number(a.attributes['hookflow.attempt']) - Number(b.attributes['hookflow.attempt'])));
    }
    const flakySends = requests.get(flakyDelivery)!;
    assert.deepEqual(flakySends.map((s) => [s.attributes['hookflow.attempt'], s.attributes['http.response.status_code']]), [[1, 500], [2, 200]]);
    assert.equal(flakySends[0]!.status.code, ERROR, 'a 5xx answer is an error of the client span');
    assert.deepEqual(requests.get(steadyDelivery)!.map((s) => s.attributes['http.response.status_code']), [200]);
    for (const s of [...flakySends, ...requests.get(steadyDelivery)!]) {
      assert.equal(s.kind, CLIENT);
      assert.equal(s.attributes['server.address'], '127.0.0.1');
    }

    // The opted-in endpoint got the trace, its parent the very request; the other got no traceparent.
    assert.deepEqual(
      flaky.received.slice(1).map((r) => r.headers.traceparent),
      flakySends.map((s) => `00-${server.traceId}-${s.spanId}-01`),
    );
    assert.ok(flaky.received.slice(1).every((r) => r.verified === true));
    assert.deepEqual(steady.received.slice(1).map((r) => r.headers.traceparent), [undefined]);

    // Log lines of the traced request and of its failed attempt name the trace.
    const access = lines.find((l) => l.msg === 'POST /v1/events 202');
    assert.equal(access?.trace_id, server.traceId, 'the request\'s access line');
    const failed = lines.find((l) => l.msg === 'delivery attempt failed' && l.deliveryId === flakyDelivery);
    assert.equal(failed?.trace_id, server.traceId, 'the failed attempt\'s line');
  });

  void test('a subscription sends no traceparent unless it asks: the field defaults to false and can be changed', async () => {
    const r = await pool.start(() => ({ status: 200 }));
    const created = await stack.call('POST', '/v1/subscriptions', { url: r.url, eventTypes: ['traced.other'] });
    assert.equal(created.body.traceparent, false);
    const patched = await stack.call('PATCH', `/v1/subscriptions/${created.body.id}`, { traceparent: true });
    assert.equal(patched.status, 200);
    assert.equal(patched.body.traceparent, true);
    const bad = await stack.call('PATCH', `/v1/subscriptions/${created.body.id}`, { traceparent: 'yes' });
    assert.equal(bad.status, 400);
    assert.match(JSON.stringify(bad.body), /body\.traceparent/);
  });

  void test('turning tracing on keeps running deliveries: histories recorded without it replay with its workflow interceptors', async () => {
    const fixtures = path.join(__dirname, '..', 'fixtures', 'histories');
    const recorded = readdirSync(fixtures)
      .filter((f) => f.endsWith('.pb'))
      .map((f) => ({ workflowId: `fixture-${f}`, history: temporal.api.history.v1.History.decode(readFileSync(path.join(fixtures, f))) }));
    assert.ok(recorded.length >= 4);
    const bundle = await bundleWorkflowCode({ workflowsPath: WORKFLOWS_PATH, workflowInterceptorModules: stack.tracing!.workflowInterceptorModules, preloadModules: workflowPreloadModules(WORKFLOWS_PATH), logger: quiet });
    let replayed = 0;
    for await (const result of Worker.runReplayHistories({ workflowBundle: bundle, sinks: stack.tracing!.worker.sinks }, recorded)) {
      assert.equal(result.error, undefined, `${result.workflowId}: ${String(result.error)}`);
      replayed += 1;
    }
    assert.equal(replayed, recorded.length);
  });
});

const quiet = { trace: () => undefined, debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined, log: () => undefined };
