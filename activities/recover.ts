import { Context } from '@temporalio/activity';
import type { Client } from '@temporalio/client';
import type { Config } from '../src/config';
import type { Db } from '../src/db/pool';
import { listRecoverable, markRecovered, purgeBatch } from '../src/db/repos/delivery-records';
import { redeliverAny } from '../src/dispatch/redeliver';

export interface RecoverPageInput {
  /** The recovery workflow's ID: marks what this run resent. */
  runId: string;
  subscriptionId: string;
  since: string;
  until: string;
  after?: { endedAt: string; id: string };
  limit: number;
}

export interface RecoverPageResult {
  matched: number;
  resent: number;
  skipped: number;
  next?: { endedAt: string; id: string };
}

export function createMaintenanceActivities(deps: { db: Db; temporal: Client; config: Config }) {
  const settings = { ...deps.config, eagerStart: false };
  return {
    /**
     * One page of a recovery. A delivery this run already resent (marked `recovered_by`) is skipped,
     * and one that is no longer dead (our own earlier resend, before a crash, made it live) is
     * refused by redeliverAny: an activity retry never resends twice.
     */
    async recoverPage(input: RecoverPageInput): Promise<RecoverPageResult> {
      const rows = await listRecoverable(deps.db, input);
      const result: RecoverPageResult = { matched: rows.length, resent: 0, skipped: 0 };
      for (const [i, row] of rows.entries()) {
        Context.current().heartbeat(i);
        if (row.recovered_by === input.runId) {
          result.skipped += 1;
          continue;
        }
        // An error (Temporal or PostgreSQL away) fails the page; its retry skips what was resent already.
        const r = await redeliverAny({ db: deps.db, temporal: deps.temporal, settings }, row.delivery_id, { onlyDead: true });
        if (r.outcome === 'refused') result.skipped += 1;
        else {
          await markRecovered(deps.db, row.delivery_id, input.runId);
          result.resent += 1;
        }
      }
      const last = rows[rows.length - 1];
      if (last && rows.length === input.limit) result.next = { endedAt: last.ended_at.toISOString(), id: last.delivery_id };
      return result;
    },

    async purgeBatch(input: { cutoff: string; limit: number }) {
      return purgeBatch(deps.db, input.cutoff, input.limit);
    },
  };
}
