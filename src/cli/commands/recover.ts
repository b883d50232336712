import { Command } from '@commander-js/extra-typings';
import { HookflowApiError, unwrap } from '../../client';
import { connect } from '../api-target';
import { CliError } from '../errors';
import { out, printJson } from '../output';
import { trackJob } from '../progress';
import { parseDuration, parseSince } from '../when';

export const recoverCommand = () =>
  new Command('recover')
    .summary("resend a subscription's dead-lettered and discarded deliveries from a window")
    .description(
      'Resend every delivery of SUBSCRIPTION that ended dead-lettered or discarded in a window, as a durable ' +
        'recovery job on the server (POST /v1/subscriptions/:id/recover), with a progress bar until it ends.',
    )
    .argument('<subscription>', 'the subscription ID (sub_…)')
    .requiredOption('--since <when>', 'window start: a duration back (1h, 2d) or a date-time', (v) => parseSince(v))
    .option('--until <when>', 'window end (default: now)', (v) => parseSince(v))
    .option('--enable', 're-enable the subscription first if it is disabled (otherwise a disabled one is refused)')
    .option('--no-wait', 'start the recovery and print its ID; do not follow it')
    .option('--timeout <duration>', 'how long to follow it', parseDuration, 30 * 60_000)
    .option('--json', 'print the recovery as JSON')
    .action(async (subscription, opts) => {
      const { client } = connect();
      const started = await unwrap(
        client.POST('/v1/subscriptions/{id}/recover', {
          params: { path: { id: subscription } },
          body: { since: opts.since, ...(opts.until ? { until: opts.until } : {}), ...(opts.enable ? { enable: true } : {}) },
        }),
      ).catch((err: unknown) => {
        // The API's answer names its own field; on the command line that field is a flag.
        if (err instanceof HookflowApiError && err.status === 409 && err.errors.some((e) => e.path === 'body.enable')) {
          throw new CliError(`${err.detail}\n  here: add --enable to re-enable it and recover`);
        }
        throw err;
      });
      if (!opts.wait) return opts.json ? printJson(started) : out(`recovery ${started.id} started`);
      const params = { path: { id: subscription, recoveryId: started.id } };
      let last = started;
      await trackJob({
        label: `recovery ${started.id}`,
        timeoutMs: opts.timeout,
        quiet: opts.json,
        poll: async () => {
          last = await unwrap(client.GET('/v1/subscriptions/{id}/recoveries/{recoveryId}', { params }));
          return { done: last.resent + last.skipped, total: last.matched, finished: last.state !== 'running', note: `${last.resent} resent, ${skippedText(last)}` };
        },
      });
      if (opts.json) printJson(last);
      else out(`recovery ${last.id} ${last.state}: ${last.matched} matched, ${last.resent} resent, ${skippedText(last)}`);
      if (last.state === 'failed') throw new CliError(`recovery ${last.id} failed; see it in the Temporal Web UI (workflow ${last.id})`);
    });

/** "3 skipped (2 no_longer_dead, 1 subscription_disabled)": the count, and why. */
function skippedText(p: { skipped: number; skippedByReason?: Record<string, number> }): string {
  const reasons = Object.entries(p.skippedByReason ?? {}).map(([why, n]) => `${n} ${why}`);
  return `${p.skipped} skipped${reasons.length > 0 ? ` (${reasons.join(', ')})` : ''}`;
}
