import { Command, Option } from '@commander-js/extra-typings';
import { unwrap } from '../../client';
import { BUCKET_SIZES } from '../../stats/window';
import { connect } from '../api-target';
import { CliError, EXIT_USAGE } from '../errors';
import { out, printFields, printJson, printTable, when } from '../output';
import { parseSince } from '../when';
import type { StatsCounts } from '../../stats/summary';

const rate = (c: StatsCounts) => (c.successRate === null ? '-' : `${(c.successRate * 100).toFixed(1)}%`);
const ms = (v: number | null) => (v === null ? '-' : `${v} ms`);
const BAR_WIDTH = 20;
/** Deliveries as a bar of the busiest bucket's width, failures as its own mark: the shape at a glance. */
const bar = (c: StatsCounts, most: number) => {
  if (most === 0 || c.deliveries === 0) return '';
  const ok = Math.round((c.succeeded / most) * BAR_WIDTH);
  const bad = Math.max(c.failed > 0 ? 1 : 0, Math.round((c.failed / most) * BAR_WIDTH));
  return `${'#'.repeat(ok)}${'x'.repeat(bad)}`;
};

export const statsCommand = () =>
  new Command('stats')
    .summary("a subscription's (or a tenant's) delivery health: totals and per bucket")
    .description(
      'Deliveries that ended (succeeded, failed), attempts, success rate and latency percentiles over a window, in total and ' +
        'per bucket (GET /v1/subscriptions/:id/stats, or GET /v1/tenants/:id/stats with --tenant). Buckets without attempts ' +
        'are left out of the table unless --all. In the bar, # is a delivery that succeeded and x one that failed.',
    )
    .argument('[subscription]', 'the subscription ID (sub_…)')
    .option('-t, --tenant <id>', "the tenant's stats, over all its subscriptions, instead")
    .option('--since <when>', 'window start: a duration back (1h, 2d) or a date-time (default: 24 h before --until)', (v) => parseSince(v))
    .option('--until <when>', 'window end (default: now)', (v) => parseSince(v))
    .addOption(new Option('-b, --bucket <size>', 'bucket size (default: at most 200 buckets over the window)').choices(BUCKET_SIZES))
    .option('--all', 'list empty buckets too')
    .option('--json', 'print the API answer as JSON')
    .action(async (subscription, opts) => {
      if (!subscription === !opts.tenant) throw new CliError('name a subscription, or a tenant with --tenant (one of the two)', EXIT_USAGE);
      const { client } = connect();
      const query = { since: opts.since, until: opts.until, bucket: opts.bucket };
      const s = subscription
        ? await unwrap(client.GET('/v1/subscriptions/{id}/stats', { params: { path: { id: subscription }, query } }))
        : await unwrap(client.GET('/v1/tenants/{id}/stats', { params: { path: { id: opts.tenant! }, query } }));
      if (opts.json) return printJson(s);
      const t = s.totals;
      printFields([
        [subscription ? 'subscription' : 'tenant', subscription ?? s.tenantId],
        ['window', `${when(s.since)} → ${when(s.until)} (${s.buckets.length} × ${s.bucket})`],
        ['deliveries', `${t.deliveries} (${t.succeeded} succeeded, ${t.failed} failed)`],
        ['success rate', rate(t)],
        ['attempts', t.attempts],
        ['latency', `p50 ${ms(t.latencyMs.p50)}  p95 ${ms(t.latencyMs.p95)}  p99 ${ms(t.latencyMs.p99)}`],
      ]);
      const shown = opts.all ? s.buckets : s.buckets.filter((b) => b.attempts > 0);
      if (shown.length === 0) return out('\nno attempts in this window');
      const most = Math.max(...s.buckets.map((b) => b.deliveries));
      out();
      printTable(
        ['BUCKET', 'DELIVERIES', 'OK', 'FAILED', 'ATTEMPTS', 'SUCCESS', 'P50', 'P95', 'P99', ''],
        shown.map((b) => [when(b.start), b.deliveries, b.succeeded, b.failed, b.attempts, rate(b), ms(b.latencyMs.p50), ms(b.latencyMs.p95), ms(b.latencyMs.p99), bar(b, most)]),
      );
      if (shown.length < s.buckets.length) out(`(${s.buckets.length - shown.length} buckets without attempts not shown; --all lists them)`);
    });
