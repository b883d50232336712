import { Command, InvalidArgumentError } from '@commander-js/extra-typings';
import { unwrap } from '../../client';
import { connect } from '../api-target';
import { CliError } from '../errors';
import { startLocalReceiver } from '../listen/local-receiver';
import { out } from '../output';
import { parseIntIn } from '../when';

const collectTypes = (value: string, previous: string[] | undefined): string[] => {
  const types = value.split(',').map((t) => t.trim()).filter(Boolean);
  if (types.length === 0) throw new InvalidArgumentError('expected event types such as invoice.* or invoice.paid,invoice.failed');
  return [...(previous ?? []), ...types];
};

export const listenCommand = () =>
  new Command('listen')
    .summary('receive webhooks locally through a temporary subscription')
    .description(
      'Start a local receiver, subscribe it (a temporary subscription, deleted on Ctrl-C), verify every webhook ' +
        'with hookflow/receiver and print it; with --forward-to, pass it on and answer with what that URL answers.',
    )
    .option('--types <patterns>', 'event types to receive, comma-separated or repeated (default: *)', collectTypes)
    .option('-t, --tenant <id>', 'the tenant to subscribe in (default: default)')
    .option('-f, --forward-to <url>', 'forward each verified webhook there, headers and body unchanged')
    .option('-p, --port <n>', 'local port; 0 = any free one', parseIntIn(0, 65_535), 0)
    .option('--json', 'one JSON object a line per webhook')
    .action(async (opts) => {
      const { client } = connect();
      let secret: string | undefined;
      // Listening before subscribing, so not even the first webhook can arrive at a closed port.
      const receiver = await startLocalReceiver({ host: '127.0.0.1', port: opts.port, secret: () => secret, forwardTo: opts.forwardTo, json: opts.json === true });
      let subscriptionId: string | undefined;
      try {
        const sub = await unwrap(
          client.POST('/v1/subscriptions', {
            body: {
              url: receiver.url,
              eventTypes: opts.types ?? ['*'],
              description: `hookflow listen (temporary, pid ${process.pid})`,
              metadata: { createdBy: 'hookflow listen' },
              ...(opts.tenant ? { tenantId: opts.tenant } : {}),
            },
          }),
        );
        // listen asks for an HMAC subscription (the default), so the answer carries its secret.
        if (sub.signature !== 'hmac-sha256') throw new CliError(`expected an HMAC subscription, got ${sub.signature}`);
        secret = sub.secret;
        subscriptionId = sub.id;
        const say = opts.json ? (line: string) => process.stderr.write(`${line}\n`) : out;
        say(`listening on ${receiver.url} for ${sub.eventTypes.join(', ')} (tenant ${sub.tenantId})`);
        say(`subscription ${sub.id}, secret ${sub.secret}: deleted when you press Ctrl-C`);
        if (opts.forwardTo) say(`forwarding verified webhooks to ${opts.forwardTo}`);
      } catch (err) {
        await receiver.close();
        throw err;
      }

      await new Promise<void>((resolve) => {
        const stop = () => resolve();
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
      });
      // A second Ctrl-C while the subscription is being deleted ends at once.
      process.once('SIGINT', () => process.exit(130));
      await receiver.close();
      await unwrap(client.DELETE('/v1/subscriptions/{id}', { params: { path: { id: subscriptionId } } }));
      process.stderr.write(`deleted subscription ${subscriptionId}\n`);
    });
