import { Command, Option } from '@commander-js/extra-typings';
import { FINAL_STATES } from '../../../workflows/delivery-states';
import { unwrap, type HookflowClient } from '../../client';
import { forEachBounded } from '../../concurrency/for-each-bounded';
import { connect } from '../api-target';
import { out, printJson } from '../output';
import { trackJob } from '../progress';
import { parseDuration, parseSince } from '../when';

// The bulk route touches at most this many in one call (BULK_LIMIT); the command follows as many.
const FOLLOW_LIMIT = 10_000;
const CONCURRENCY = 8;

type Filter = { subscriptionId?: string; eventType?: string; tenantId?: string; since?: string };
type Followed = { id: string; rounds: number; outcome?: string };

/** The open dead letters the bulk call will find, with how many rounds each has had so far. */
async function openDeadLetters(client: HookflowClient, filter: Filter): Promise<Followed[]> {
  const ids: string[] = [];
  let cursor: string | undefined;
  do {
    const page = await unwrap(client.GET('/v1/deliveries', { params: { query: { ...filter, status: 'dead_lettered', limit: 100, cursor } } }));
    // Closed dead letters (past their retention) are not signalled by the bulk route; `deliveries redeliver ID` resends those.
    ids.push(...page.data.filter((d) => d.closedAt === null).map((d) => d.id));
    cursor = page.nextCursor ?? undefined;
  } while (cursor && ids.length < FOLLOW_LIMIT);
  const followed: Followed[] = [];
  await forEachBounded(ids.slice(0, FOLLOW_LIMIT), CONCURRENCY, async (id) => {
    const s = await unwrap(client.GET('/v1/deliveries/{id}', { params: { path: { id } } }));
    followed.push({ id, rounds: s.roundCount });
  });
  return followed;
}

/** Marks each followed delivery whose new round has ended with how it ended. */
async function settle(client: HookflowClient, followed: Followed[]): Promise<void> {
  await forEachBounded(followed.filter((f) => !f.outcome), CONCURRENCY, async (f) => {
    const s = await unwrap(client.GET('/v1/deliveries/{id}', { params: { path: { id: f.id } } }));
    const latest = s.rounds[s.rounds.length - 1];
    if (s.roundCount > f.rounds && FINAL_STATES.has(s.state) && latest?.endedAt) f.outcome = s.state;
  });
}

export const redeliverCommand = () =>
  new Command('redeliver')
    .summary('redeliver dead letters in bulk, with a progress bar')
    .description(
      'Redeliver every open dead-lettered delivery that matches (POST /v1/deliveries/redeliver), then follow ' +
        'the new rounds with a progress bar until each has ended. Exits 1 if any dead-lettered again.',
    )
    .addOption(new Option('-s, --status <state>', 'which deliveries').choices(['dead_lettered'] as const).makeOptionMandatory())
    .option('--subscription <id>', "only this subscription's")
    .option('--event-type <type>', 'only events of this type')
    .option('-t, --tenant <id>', "only this tenant's")
    .option('--since <when>', 'created at or after: a duration back (1h, 2d) or a date-time', (v) => parseSince(v))
    .option('--no-wait', 'only send the redeliveries; do not follow them')
    .option('--timeout <duration>', 'how long to follow them', parseDuration, 10 * 60_000)
    .option('--json', 'print the result as JSON')
    .action(async (opts) => {
      const { client } = connect();
      const filter: Filter = { subscriptionId: opts.subscription, eventType: opts.eventType, tenantId: opts.tenant, since: opts.since };
      const followed = opts.wait ? await openDeadLetters(client, filter) : [];
      const result = await unwrap(client.POST('/v1/deliveries/redeliver', { body: { status: opts.status, ...filter } }));
      if (!opts.wait || result.signalled === 0) {
        if (opts.json) return printJson(result);
        return out(result.signalled === 0 ? `nothing to redeliver (${result.matched} matched)` : `redelivering ${result.signalled} of ${result.matched} matched`);
      }
      const counts = () => {
        const ended = followed.filter((f) => f.outcome);
        const again = ended.filter((f) => f.outcome === 'dead_lettered').length;
        return { ended: ended.length, succeeded: ended.filter((f) => f.outcome === 'succeeded').length, again };
      };
      await trackJob({
        label: 'redelivering',
        timeoutMs: opts.timeout,
        quiet: opts.json,
        poll: async () => {
          await settle(client, followed);
          const c = counts();
          // Done once as many rounds ended as the call signalled (a listed one it did not signal never moves).
          return { done: Math.min(c.ended, result.signalled), total: result.signalled, finished: c.ended >= result.signalled, note: `${c.succeeded} succeeded, ${c.again} dead-lettered again` };
        },
      });
      const c = counts();
      const deadAgain = followed.filter((f) => f.outcome === 'dead_lettered').map((f) => f.id);
      if (opts.json) printJson({ ...result, succeeded: c.succeeded, deadLetteredAgain: deadAgain, discarded: c.ended - c.succeeded - c.again });
      else {
        out(`redelivered ${result.signalled}: ${c.succeeded} succeeded, ${c.again} dead-lettered again${c.ended - c.succeeded - c.again ? `, ${c.ended - c.succeeded - c.again} discarded` : ''}`);
        for (const id of deadAgain) out(`  dead-lettered again: ${id} (hookflow deliveries attempts ${id})`);
      }
      if (deadAgain.length > 0) process.exitCode = 1;
    });
