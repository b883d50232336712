import { Command, InvalidArgumentError } from '@commander-js/extra-typings';
import { readFileSync } from 'node:fs';
import { unwrap } from '../../client';
import { connect } from '../api-target';
import { out, printJson, printTable } from '../output';

/** `--data '{"id":1}'` or `--data @event.json`. */
function parseData(value: string): unknown {
  let text = value;
  if (value.startsWith('@')) {
    try {
      text = readFileSync(value.slice(1), 'utf8');
    } catch (err) {
      throw new InvalidArgumentError(`cannot read ${value.slice(1)}: ${(err as Error).message}`);
    }
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw new InvalidArgumentError(`not JSON: ${(err as Error).message}`);
  }
}

export const sendCommand = () =>
  new Command('send')
    .summary('send an event and print its deliveries')
    .description('Send an event (POST /v1/events) and print the deliveries it fanned out to.')
    .argument('<type>', 'the event type, e.g. invoice.paid')
    .option('-d, --data <json|@file>', 'the event data: JSON, or @file.json', parseData, {} as unknown)
    .option('-t, --tenant <id>', 'the tenant whose subscriptions receive it (default: default)')
    .option('-k, --idempotency-key <key>', 'repeat-safe: the same key and body give back the same event')
    .option('--json', 'print the API answer as JSON')
    .action(async (type, opts) => {
      const { client } = connect();
      const event = await unwrap(
        client.POST('/v1/events', {
          body: { type, data: opts.data, ...(opts.tenant ? { tenantId: opts.tenant } : {}) },
          params: { header: opts.idempotencyKey ? { 'idempotency-key': opts.idempotencyKey } : {} },
        }),
      );
      if (opts.json) return printJson(event);
      out(`event ${event.id} (${event.type}, tenant ${event.tenantId}) accepted`);
      if (event.deliveries.length === 0) return out('no subscription matches it: nothing to deliver');
      // The states as they are now; `hookflow deliveries show ID` follows one further.
      const detail = await unwrap(client.GET('/v1/events/{id}', { params: { path: { id: event.id } } }));
      const status = new Map(detail.deliveries.map((d) => [d.id, d.status]));
      printTable(
        ['DELIVERY', 'SUBSCRIPTION', 'STATUS'],
        event.deliveries.map((d) => [d.id, d.subscriptionId, status.get(d.id) ?? 'scheduled']),
      );
    });
