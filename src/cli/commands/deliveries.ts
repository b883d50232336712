import { Command, Option } from '@commander-js/extra-typings';
import { DELIVERY_STATES } from '../../../workflows/delivery-states';
import { unwrap, type paths } from '../../client';
import { connect } from '../api-target';
import { oneLine, out, printFields, printJson, printTable, when } from '../output';
import { parseIntIn, parseSince } from '../when';

type Query = NonNullable<paths['/v1/deliveries']['get']['parameters']['query']>;
const json = () => new Option('--json', 'print the API answer as JSON');

const list = () =>
  new Command('list')
    .description('List deliveries, newest first (GET /v1/deliveries).')
    .addOption(new Option('-s, --status <state>', 'only deliveries in this state').choices(DELIVERY_STATES))
    .option('--subscription <id>', "only this subscription's")
    .option('--event <id>', "only this event's")
    .option('--event-type <type>', 'only events of this type')
    .option('-t, --tenant <id>', "only this tenant's")
    .option('--since <when>', 'created at or after: a duration back (1h, 2d) or a date-time', (v) => parseSince(v))
    .option('--until <when>', 'created before: a duration back or a date-time', (v) => parseSince(v))
    .option('-n, --limit <n>', 'how many (1-100)', parseIntIn(1, 100), 20)
    .option('--cursor <cursor>', 'the next page, as printed under the previous one')
    .addOption(json())
    .action(async (opts) => {
      const { client } = connect();
      const query: Query = {
        status: opts.status,
        subscriptionId: opts.subscription,
        eventId: opts.event,
        eventType: opts.eventType,
        tenantId: opts.tenant,
        since: opts.since,
        until: opts.until,
        limit: opts.limit,
        cursor: opts.cursor,
      };
      const page = await unwrap(client.GET('/v1/deliveries', { params: { query } }));
      if (opts.json) return printJson(page);
      if (page.data.length === 0) return out('no deliveries match');
      printTable(
        ['DELIVERY', 'STATUS', 'EVENT TYPE', 'EVENT', 'SUBSCRIPTION', 'CREATED', 'CLOSED'],
        page.data.map((d) => [d.id, d.status, d.eventType, d.eventId, d.subscriptionId, when(d.startedAt), when(d.closedAt)]),
      );
      if (page.nextCursor) out(`more: --cursor ${page.nextCursor}`);
    });

type Status = Awaited<ReturnType<typeof statusOf>>;
const statusOf = (id: string) => unwrap(connect().client.GET('/v1/deliveries/{id}', { params: { path: { id } } }));

function printStatus(s: Status): void {
  printFields([
    ['delivery', s.deliveryId],
    ['state', s.state],
    ['event', `${s.eventId} (${s.eventType})`],
    ['subscription', s.subscriptionId],
    ['tenant', s.tenantId],
    ['attempts', s.attempts],
    ['last response', s.lastResponse ? (s.lastResponse.statusCode ?? s.lastResponse.error ?? '-') : undefined],
    ['next attempt', s.nextAttemptAt ? when(s.nextAttemptAt) : undefined],
    ['dead-lettered', s.deadLetteredAt ? when(s.deadLetteredAt) : undefined],
    ['retention ends', s.retentionEndsAt ? when(s.retentionEndsAt) : undefined],
    ['completed', s.completedAt ? when(s.completedAt) : undefined],
  ]);
  out();
  printTable(
    ['ROUND', 'TRIGGER', 'STARTED', 'ENDED', 'ATTEMPTS', 'OUTCOME', 'LAST'],
    s.rounds.map((r) => [r.round, r.trigger, when(r.startedAt), when(r.endedAt), r.attempts, r.outcome ?? 'running', r.lastStatusCode ?? oneLine(r.lastError, 40)]),
  );
}

const show = () =>
  new Command('show')
    .description("One delivery's state and rounds (GET /v1/deliveries/:id).")
    .argument('<delivery>', 'the delivery ID (dlv_…)')
    .addOption(json())
    .action(async (id, opts) => {
      const s = await statusOf(id);
      if (opts.json) printJson(s);
      else printStatus(s);
    });

const attempts = () =>
  new Command('attempts')
    .description("One delivery's attempt log (GET /v1/deliveries/:id/attempts).")
    .argument('<delivery>', 'the delivery ID (dlv_…)')
    .option('-n, --limit <n>', 'how many (1-100)', parseIntIn(1, 100), 20)
    .option('--cursor <cursor>', 'the next page, as printed under the previous one')
    .addOption(json())
    .action(async (id, opts) => {
      const { client } = connect();
      const page = await unwrap(
        client.GET('/v1/deliveries/{id}/attempts', { params: { path: { id }, query: { limit: opts.limit, cursor: opts.cursor } } }),
      );
      if (opts.json) return printJson(page);
      if (page.data.length === 0) return out('no attempts yet');
      printTable(
        ['ROUND', 'ATTEMPT', 'STARTED', 'DURATION', 'STATUS', 'OUTCOME', 'RESPONSE / ERROR'],
        page.data.map((a) => [
          a.round,
          a.attempt,
          when(a.startedAt),
          `${a.durationMs} ms`,
          a.statusCode,
          a.outcome,
          a.errorMessage && a.errorClass !== 'HttpStatus' ? oneLine(`${a.errorClass}: ${a.errorMessage}`) : oneLine(a.responseBody),
        ]),
      );
      if (page.nextCursor) out(`more: --cursor ${page.nextCursor}`);
    });

const redeliver = () =>
  new Command('redeliver')
    .description('Send one delivery again: a new round, or a new run once closed (POST /v1/deliveries/:id/redeliver).')
    .argument('<delivery>', 'the delivery ID (dlv_…)')
    .addOption(json())
    .action(async (id, opts) => {
      const r = await unwrap(connect().client.POST('/v1/deliveries/{id}/redeliver', { params: { path: { id } }, body: {} }));
      if (opts.json) return printJson(r);
      out(`redelivering ${r.id} (${r.how === 'restarted' ? 'a new run of the closed delivery' : 'a new round'})`);
    });

const discard = () =>
  new Command('discard')
    .description('Stop an open delivery: no more attempts (POST /v1/deliveries/:id/discard).')
    .argument('<delivery>', 'the delivery ID (dlv_…)')
    .option('--reason <text>', 'kept in the delivery history')
    .addOption(json())
    .action(async (id, opts) => {
      const r = await unwrap(
        connect().client.POST('/v1/deliveries/{id}/discard', { params: { path: { id } }, body: opts.reason ? { reason: opts.reason } : {} }),
      );
      if (opts.json) return printJson(r);
      out(`discarded ${r.id}`);
    });

export const deliveriesCommand = () =>
  new Command('deliveries')
    .summary('list, show, inspect, redeliver and discard deliveries')
    .description('Deliveries: one per event and subscription, with its attempts and rounds.')
    .addCommand(list())
    .addCommand(show())
    .addCommand(attempts())
    .addCommand(redeliver())
    .addCommand(discard());
