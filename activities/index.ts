import type { Client } from '@temporalio/client';
import type { Dispatcher } from 'undici';
import type { Config } from '../src/config';
import type { Db } from '../src/db/pool';
import { createDeadLetterActivities } from './dead-letters';
import { createDeliver } from './deliver';
import { createMaintenanceActivities } from './recover';

export interface ActivityDeps {
  db: Db;
  /** The SSRF-guarded undici dispatcher shared by every delivery (one connection pool per origin). */
  http: Dispatcher;
  config: Config;
  temporal: Client;
}

/** Built from explicit dependencies, so each activity can be exercised without a worker. */
export function createActivities(deps: ActivityDeps) {
  return {
    deliver: createDeliver({ db: deps.db, dispatcher: deps.http, config: deps.config, temporal: deps.temporal }),
    ...createDeadLetterActivities(deps),
    ...createMaintenanceActivities(deps),
  };
}
