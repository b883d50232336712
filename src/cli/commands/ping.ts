import { Command } from '@commander-js/extra-typings';
import { unwrap } from '../../client';
import { connect } from '../api-target';
import { oneLine, out, printJson } from '../output';

export const pingCommand = () =>
  new Command('ping')
    .summary("send a test ping to a subscription's endpoint")
    .description('Send a signed hookflow.ping to one subscription (POST /v1/subscriptions/:id/test) and print how its endpoint answered.')
    .argument('<subscription>', 'the subscription ID (sub_…)')
    .option('--json', 'print the API answer as JSON')
    .action(async (id, opts) => {
      const ping = await unwrap(connect().client.POST('/v1/subscriptions/{id}/test', { params: { path: { id } }, body: {} }));
      if (opts.json) return printJson(ping);
      if (ping.outcome === 'pending') return out(`no answer yet; follow it with: hookflow deliveries attempts ${ping.deliveryId}`);
      const answer = ping.statusCode === null ? ping.error : `${ping.statusCode} ${oneLine(ping.responseBody, 80)}`;
      out(`${ping.outcome}: ${answer} in ${ping.durationMs} ms (delivery ${ping.deliveryId})`);
      if (ping.outcome !== 'succeeded') process.exitCode = 1;
    });
