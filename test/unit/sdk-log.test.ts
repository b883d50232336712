// Which SDK log entries become one quiet line, and which stay warnings.
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { test } from 'node:test';
import pino from 'pino';
import { ApplicationFailure } from '@temporalio/common';
import { routeSdkLog } from '../../src/temporal/sdk-log';
import { FailureTypes } from '../../workflows/messages';

function capture() {
  const lines: Record<string, unknown>[] = [];
  const log = pino({ level: 'info' }, new Writable({ write: (c: Buffer, _e, done) => (lines.push(JSON.parse(c.toString()) as Record<string, unknown>), done()) }));
  return { log, lines };
}

const entry = (type: string, activityType = 'deliver') => ({
  message: 'Activity failed',
  level: 'WARN' as const,
  timestampNanos: 0n,
  meta: {
    activityType,
    attempt: 2,
    workflowId: 'dlv_x',
    taskToken: 'c2VjcmV0LXRhc2stdG9rZW4=',
    error: ApplicationFailure.create({ message: 'endpoint answered 503', type, details: [{ round: 1, attempt: 2, statusCode: 503 }] }),
  },
});

void test('an endpoint failure of the deliver activity: one info line, no task token', () => {
  const { log, lines } = capture();
  routeSdkLog(log, entry(FailureTypes.http));
  assert.equal(lines.length, 1);
  const { level, msg, deliveryId, round, attempt, statusCode, error } = lines[0]!;
  assert.deepEqual({ level, msg, deliveryId, round, attempt, statusCode, error }, {
    level: 30, msg: 'delivery attempt failed', deliveryId: 'dlv_x', round: 1, attempt: 2, statusCode: 503, error: 'endpoint answered 503',
  });
  assert.ok(!JSON.stringify(lines).includes('taskToken'));
});

void test('real problems stay SDK warnings: the database down, another activity, any other message', () => {
  for (const e of [entry(FailureTypes.databaseUnavailable), entry(FailureTypes.http, 'recoverPage'), { ...entry(FailureTypes.http), message: 'Workflow failed' }]) {
    const { log, lines } = capture();
    routeSdkLog(log, e);
    assert.equal(lines.length, 1);
    assert.equal(lines[0]!.level, 40);
    assert.equal(lines[0]!.sdk, true);
  }
});
