// A rolling deploy of changed workflow code while deliveries sit in backoff. 200 deliveries fail
// against a receiver answering 500 and wait out their backoff; the two workers are then replaced one
// at a time by a build whose delivery workflow has a new step (test/faults/support/next-build/, the
// change versioned with patched()). Every one of the 200 must finish on the new build with no
// non-determinism error, and deliveries started after the deploy must run the new step. Replays of
// the recorded histories against the unversioned change and against the old build prove the change
// is real: without the patch the old histories break, and the new runs cannot run on the old code.
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { bundleWorkflowCode, DefaultLogger, makeTelemetryFilterString, Runtime, Worker } from '@temporalio/worker';
import { temporal as proto } from '@temporalio/proto';
import type { TemporalClientHandle } from '../../src/temporal/client';
import { report, sharedDatabase, sharedTemporalAddress, temporalClient, waitFor } from './support/backends';
import { Hookflow } from './support/hookflow';
import { ledger, pairKey, startReceivers, type Receiver } from './support/receivers';
import { startWorkerReplica, type Replica } from './support/replicas';

type History = proto.api.history.v1.IHistory;

const IN_BACKOFF = 200;
const AFTER_DEPLOY = 20;
// Long enough that no retry lands while a worker is being replaced, short enough to keep the test brief.
const BACKOFF_MS = 15_000;
const NEXT_BUILD = path.join(__dirname, 'support', 'next-build');
const NEXT_WORKER = path.join(NEXT_BUILD, 'worker.ts');

const quiet = () => undefined;
const bundleLogger = { trace: quiet, debug: quiet, info: quiet, warn: console.warn, error: console.error, log: quiet };

void describe('fault: a rolling deploy of a changed delivery workflow while 200 deliveries are in backoff', () => {
  let hf: Hookflow;
  let temporal: TemporalClientHandle;
  let receiver: Receiver | undefined;
  const workers: Replica[] = [];

  before(async () => {
    // This process only replays (the workers are other processes): the replays meant to fail would
    // print a warning per history; the test asserts their outcome itself.
    Runtime.install({ logger: new DefaultLogger('ERROR'), telemetryOptions: { logging: { filter: makeTelemetryFilterString({ core: 'ERROR', other: 'ERROR' }), forward: {} } } });
    hf = new Hookflow({ databaseUrl: await sharedDatabase(), temporalAddress: sharedTemporalAddress(), env: { HOOKFLOW_REQUEST_TIMEOUT_MS: '2000' } });
    await hf.migrate();
    await hf.startApi();
    workers.push(...(await Promise.all([startWorkerReplica(hf, 'released-1'), startWorkerReplica(hf, 'released-2')])));
    temporal = await temporalClient(hf.opts.temporalAddress);
  });

  after(async () => {
    await hf?.kill();
    await receiver?.close();
    await temporal?.connection.close();
  });

  void test('the 200 finish on the new build without a non-determinism error; new deliveries run the new step', { timeout: 600_000 }, async () => {
    let failing = true;
    receiver = (await startReceivers({ backoff: () => (failing ? { status: 500, body: 'down for now' } : { status: 200 }) })).backoff!;
    const sub = await hf.call('POST', '/v1/subscriptions', {
      url: receiver.url,
      eventTypes: ['deploy.*'],
      retryPolicy: { maxAttempts: 50, initialIntervalMs: BACKOFF_MS, backoffCoefficient: 1, maxIntervalMs: BACKOFF_MS },
    });
    assert.equal(sub.status, 201, JSON.stringify(sub.body));
    receiver.secret = sub.body.secret;

    const oldIds: string[] = [];
    const expected = new Set<string>();
    for (let b = 0; b < IN_BACKOFF / 100; b++) {
      for (const e of await hf.sendBatch(Array.from({ length: 100 }, (_, i) => ({ type: 'deploy.before', data: { i: b * 100 + i } })))) {
        oldIds.push(e.deliveries[0]!.id);
        expected.add(pairKey(receiver.name, e.id));
      }
    }
    // Every delivery has failed once and now waits out its backoff.
    await waitFor(() => new Set(receiver!.hits.map((h) => h.webhookId)).size === IN_BACKOFF, 'a first, failed attempt of each', 120_000, 200);

    // The rollout: one worker at a time, graceful stop (SIGTERM), then the next build in its place.
    const rolloutStart = Date.now();
    for (let i = 0; i < workers.length; i++) {
      await workers[i]!.proc.stop(15_000);
      workers[i] = await startWorkerReplica(hf, `next-${i + 1}`, {}, NEXT_WORKER);
    }
    const rolloutMs = Date.now() - rolloutStart;
    const attemptsDuringRollout = receiver.hits.filter((h) => h.arrivedAt >= rolloutStart && h.arrivedAt <= rolloutStart + rolloutMs).length;

    failing = false;
    const recoveredAt = Date.now();
    await waitFor(() => ledger(expected, [receiver!]).lost === 0, 'the 200 delivered', 3 * BACKOFF_MS + 60_000, 250);
    const deliveredMs = Date.now() - recoveredAt;

    // New deliveries, accepted after the deploy.
    const newIds: string[] = [];
    for (const e of await hf.sendBatch(Array.from({ length: AFTER_DEPLOY }, (_, i) => ({ type: 'deploy.after', data: { i } })))) {
      newIds.push(e.deliveries[0]!.id);
      expected.add(pairKey(receiver.name, e.id));
    }
    await waitFor(() => ledger(expected, [receiver!]).lost === 0, 'the new deliveries delivered', 60_000, 100);

    const histories = new Map<string, History>();
    await waitFor(
      async () => {
        for (const id of [...oldIds, ...newIds]) {
          if (histories.has(id)) continue;
          const d = await temporal.client.workflow.getHandle(id).describe();
          if (d.status.name === 'COMPLETED') histories.set(id, await temporal.client.workflow.getHandle(id).fetchHistory());
        }
        return histories.size === oldIds.length + newIds.length;
      },
      'every delivery workflow completed',
      60_000,
      1_000,
    );

    const types = (id: string) => (histories.get(id)!.events ?? []).map((e) => proto.api.enums.v1.EventType[e.eventType!]);
    const taskFailures = [...histories].filter(([id]) => types(id).some((t) => t.includes('WORKFLOW_TASK_FAILED'))).map(([id]) => id);
    const hasPatch = (id: string) => (histories.get(id)!.events ?? []).some((e) => e.markerRecordedEventAttributes?.markerName === 'core_patch');
    // The new step: the patch marker, then a timer, then the first attempt (a local activity's marker
    // or a scheduled activity).
    const settledFirst = (id: string) => {
      const events = histories.get(id)!.events ?? [];
      const at = (pred: (e: (typeof events)[number]) => boolean) => events.findIndex(pred);
      const patch = at((e) => e.markerRecordedEventAttributes?.markerName === 'core_patch');
      const timer = at((e) => e.timerStartedEventAttributes != null);
      const attempt = at((e) => (e.markerRecordedEventAttributes != null && e.markerRecordedEventAttributes.markerName !== 'core_patch') || e.activityTaskScheduledEventAttributes != null);
      return patch >= 0 && patch < timer && timer < attempt;
    };
    const nondeterminism = workers.flatMap((w) => w.proc.tail.filter((l) => /nondetermin|DeterminismViolation/i.test(l)));

    // Replays: the next build replays all; without its patch it breaks every old history; the old
    // build cannot replay the new runs (which is why rollback needs care, docs/production.md).
    const [nextBundle, unversionedBundle] = await Promise.all([
      bundleWorkflowCode({ workflowsPath: path.join(NEXT_BUILD, 'workflows.ts'), logger: bundleLogger }),
      bundleWorkflowCode({ workflowsPath: path.join(NEXT_BUILD, 'workflows-unversioned.ts'), logger: bundleLogger }),
    ]);
    const replay = async (bundle: { code: string } | { codePath: string }, ids: string[]) => {
      const failed: string[] = [];
      for await (const r of Worker.runReplayHistories({ workflowBundle: bundle, replayName: 'rolling-deploy' }, ids.map((id) => ({ workflowId: id, history: histories.get(id)! })))) {
        if (r.error) failed.push(`${r.workflowId}: ${r.error.name}`);
      }
      return failed;
    };
    const nextFails = await replay(nextBundle, [...oldIds, ...newIds]);
    const unversionedFails = await replay(unversionedBundle, oldIds);
    const releasedFails = await replay({ codePath: process.env.HOOKFLOW_TEST_WORKFLOW_BUNDLE! }, newIds);

    const l = ledger(expected, [receiver]);
    report('rolling-deploy', {
      inBackoff: IN_BACKOFF,
      afterDeploy: AFTER_DEPLOY,
      rolloutMs,
      attemptsDuringRollout,
      deliveredAfterRecoveryMs: deliveredMs,
      lost: l.lost,
      workflowTaskFailures: taskFailures.length,
      nondeterminismLogLines: nondeterminism.length,
      oldWithPatchMarker: oldIds.filter(hasPatch).length,
      newWithNewStep: newIds.filter((id) => hasPatch(id) && settledFirst(id)).length,
      replay: { nextBuild: nextFails.length, unversionedOnOld: unversionedFails.length, releasedOnNew: releasedFails.length },
    });
    assert.equal(l.lost, 0);
    assert.ok(types(oldIds[0]!).includes('EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED'), 'history event types are read by name');
    assert.deepEqual(taskFailures, [], 'a workflow task failed (non-determinism) during or after the deploy');
    assert.deepEqual(nondeterminism, []);
    assert.equal(oldIds.filter(hasPatch).length, 0, 'the runs started before the deploy stayed on the old path');
    assert.deepEqual(newIds.filter((id) => !hasPatch(id) || !settledFirst(id)), [], 'a delivery started after the deploy did not run the new step');
    assert.deepEqual(nextFails, [], 'the next build replays every history');
    assert.equal(unversionedFails.length, IN_BACKOFF, 'the change without its patch breaks every history recorded before it');
    assert.equal(releasedFails.length, AFTER_DEPLOY, 'the new runs took a path the old build does not have');
    assert.deepEqual([...unversionedFails, ...releasedFails].filter((f) => !f.endsWith(': DeterminismViolationError')), [], 'each failed replay is a non-determinism error');
  });
});
