import { Context } from '@temporalio/activity';
import type { Client } from '@temporalio/client';
import type { Config } from '../src/config';
import type { Db } from '../src/db/pool';
import { claimForRecovery, listRecoverable, purgeBatch } from '../src/db/repos/delivery-records';
import { purgeStats } from '../src/db/repos/subscription-stats';
import { redeliverAny } from '../src/dispatch/redeliver';

export interface RecoverPageInput {
  /** The recovery workflow's ID: marks what this run resent. */
  runId: string;
  subscriptionId: string;
  since: string;
  until: string;
  /** The last delivery ID of the previous page. */
  after?: string;
  limit: number;
}

export interface RecoverPageResult {
  matched: number;
  resent: number;
  skipped: number;
  skippedByReason: Record<string, number>;
  next?: string;
}

export function createMaintenanceActivities(deps: { db: Db; temporal: Client; config: Config }) {
  const settings = { ...deps.config, eagerStart: false };
  return {
    /**
     * One page of a recovery. A delivery is claimed (marked with this run) right before it is
     * resent. On a retry of the page, a claimed delivery that is live again was resent by the
     * failed attempt and is counted, not resent; one still dead was claimed but not sent, and is
     * sent now. So a run resends each delivery once and its figures stay exact across retries.
     */
    async recoverPage(input: RecoverPageInput): Promise<RecoverPageResult> {
      const rows = await listRecoverable(deps.db, { ...input, afterId: input.after });
      const result: RecoverPageResult = { matched: rows.length, resent: 0, skipped: 0, skippedByReason: {} };
      const { cancellationSignal } = Context.current();
      for (const [i, row] of rows.entries()) {
        // A stopping worker cancels this activity after its grace time: end between deliveries (a
        // claimed one is finished first), so the worker can shut down; the retry resumes the page.
        cancellationSignal.throwIfAborted();
        Context.current().heartbeat(i);
        // An error (Temporal or PostgreSQL away) fails the page; its retry resumes as described above.
        const r = await redeliverAny({ db: deps.db, temporal: deps.temporal, settings }, row.delivery_id, {
          onlyDead: true,
          beforeSend: () => claimForRecovery(deps.db, row.delivery_id, input.runId),
        });
        if (r.outcome === 'signalled' || r.outcome === 'restarted' || row.claimed) result.resent += 1;
        else {
          result.skipped += 1;
          const why = r.code ?? 'other';
          result.skippedByReason[why] = (result.skippedByReason[why] ?? 0) + 1;
        }
      }
      const last = rows[rows.length - 1];
      if (last && rows.length === input.limit) result.next = last.delivery_id;
      return result;
    },

    /** One batch of old events (with their deliveries and attempts) and of old stats rollups. */
    async purgeBatch(input: { cutoff: string; limit: number }) {
      const deleted = await purgeBatch(deps.db, input.cutoff, input.limit);
      // Rollup rows are small and many (a minute row per busy subscription): more of them per batch.
      return { ...deleted, rollups: await purgeStats(deps.db, input.cutoff, input.limit * 20) };
    },
  };
}
