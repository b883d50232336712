import type { Client } from '@temporalio/client';
import type { Dispatcher } from 'undici';
import type { Config } from '../src/config';
import type { Db } from '../src/db/pool';
import type { Metrics } from '../src/metrics/registry';
import type { OpsEvents } from '../src/ops-events/emitter';
import { secretBox } from '../src/security/secret-box';
import { AttemptObserver } from './attempt-observer';
import { createDeadLetterActivities } from './dead-letters';
import { createDeliver } from './deliver';
import { createMaintenanceActivities } from './recover';
import { createOrderingActivities } from './ordering';
import { createThrottleActivities } from './throttle';
import type { AttemptTracer } from '../src/telemetry/attempt-spans';

/** What the activities report to: the worker's metrics and its operational-event emitter. */
export interface WorkerObservability {
  metrics: Metrics;
  ops?: OpsEvents;
}

export interface ActivityDeps {
  db: Db;
  /** The SSRF-guarded undici agent shared by every delivery (one connection pool per origin). */
  http: Dispatcher;
  config: Config;
  temporal: Client;
  observability?: WorkerObservability;
  /** Aborted when a stopping worker's grace time is over: in-flight attempts end and are retried. */
  stopping?: AbortSignal;
  /** Tracing's span around each attempt's request, when tracing is on. */
  trace?: AttemptTracer;
}

/** Built from explicit dependencies, so each activity can be exercised without a worker. */
export function createActivities(deps: ActivityDeps) {
  const { metrics, ops } = deps.observability ?? {};
  const observer = metrics ? new AttemptObserver({ metrics, ops, failingAfter: deps.config.failingAfter }) : undefined;
  return {
    deliver: createDeliver({ db: deps.db, http: deps.http, config: deps.config, temporal: deps.temporal, observer, stopping: deps.stopping, secrets: secretBox(deps.config), trace: deps.trace }),
    ...createDeadLetterActivities({ ...deps, metrics, ops }),
    ...createMaintenanceActivities(deps),
    ...createThrottleActivities(deps),
    ...createOrderingActivities(deps),
  };
}
