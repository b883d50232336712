import type { Client } from '@temporalio/client';
import type { Config } from '../config';
import type { Db } from '../db/pool';
import type { Fanout } from '../dispatch/fanout';
import type { FailedAuthLimiter } from '../auth/failed-auth-limiter';
import type { Metrics } from '../metrics/registry';
import type { Tracing } from '../telemetry/tracing';

export interface ApiDeps {
  config: Config;
  db: Db;
  temporal: Client;
  fanout: Fanout;
  /** Defaults to the process's shared metrics. */
  metrics?: Metrics;
  /** Failed authentications per client address; buildServer makes one per server. */
  authFailures?: FailedAuthLimiter;
  /** With tracing on: a server span around every /v1 request. */
  tracing?: Pick<Tracing, 'instrumentApi'>;
}
