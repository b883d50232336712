// CPU of the per-attempt steps that capabilities added, each in isolation (process.cpuUsage over many
// iterations): opening the sealed signing secret (HOOKFLOW_SECRET_KEYS) and signing the request.
//   npx tsx bench/prototypes/per-delivery-costs.ts
import { randomBytes } from 'node:crypto';
import { secretBox } from '../../src/security/secret-box';
import { buildWebhookHeaders, generateSecret } from '../../src/signing/standard-webhooks';

const box = secretBox({ secretKeys: `k1:${randomBytes(32).toString('base64')}` });
const secret = generateSecret();
const sealed = box.seal(secret, 'sub_bench');
const body = JSON.stringify({ type: 'bench.delivery', timestamp: new Date().toISOString(), data: { id: 1, amount: 1234, currency: 'eur', lines: Array.from({ length: 5 }, (_, i) => ({ sku: `sku-${i}`, qty: i })) } });

function time(label: string, n: number, fn: () => unknown): void {
  for (let i = 0; i < 2000; i++) fn();
  const u0 = process.cpuUsage();
  for (let i = 0; i < n; i++) fn();
  const u = process.cpuUsage(u0);
  console.log(`${label}: ${(((u.user + u.system) / n)).toFixed(2)} µs CPU per call`);
}
time('open sealed secret', 100_000, () => box.open(sealed, 'sub_bench'));
time('sign (HMAC-SHA256 headers)', 100_000, () => buildWebhookHeaders({ id: 'evt_1', timestampSeconds: 1, body, secrets: [secret] }));
