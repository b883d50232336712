// Signing secrets at rest: PostgreSQL never holds one in plain text, old plaintext rows are sealed in
// resumable batches, and rotating the storage key (hookflow rotate-secret-keys, run as a process)
// keeps every subscription verifiable — by the official standardwebhooks package (v1) and tweetnacl (v1a).
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import { newId } from '../../src/db/ids';
import { resealSecrets, sealStoredSecrets } from '../../src/security/reseal-secrets';
import { secretBox } from '../../src/security/secret-box';
import { generateSecret } from '../../src/signing/standard-webhooks';
import { sendEvent, subscribe } from '../support/engine';
import { receiverPool, type Receiver } from '../support/receiver';
import { startStack, waitFor, type Stack } from '../support/stack';

const run = promisify(execFile);
const ringKey = () => randomBytes(32).toString('base64');

/** Everything the subscriptions table holds, as one string: what a leaked backup would show. */
async function tableText(stack: Stack): Promise<string> {
  const { rows } = await stack.db.query<{ t: string }>(`SELECT string_agg(s::text, E'\\n') AS t FROM subscriptions s`);
  return rows[0]!.t ?? '';
}

async function deliverAndVerify(stack: Stack, r: Receiver, eventType: string): Promise<void> {
  const before = r.received.length;
  await sendEvent(stack, eventType);
  const got = await waitFor(() => r.received[before], `a delivery to ${r.url}`);
  assert.equal(got.verified, true, got.verifyError);
}

void describe('signing secrets at rest', () => {
  const pool = receiverPool();
  let stack: Stack;

  before(async () => {
    stack = await startStack();
  });
  after(async () => {
    await stack?.stop();
    await pool.closeAll();
  });

  void test('a raw SELECT of subscriptions finds no secret in plain text, and deliveries still verify with standardwebhooks', async () => {
    const [plain, custom, rotated, asym] = await Promise.all([pool.start(), pool.start(), pool.start(), pool.start()]);
    const subs = [await subscribe(stack, plain), await subscribe(stack, custom, { secret: generateSecret() }), await subscribe(stack, rotated)];
    const rotation = await stack.call('POST', `/v1/subscriptions/${subs[2]!.id}/secret/rotate`, { graceSeconds: 3600 });
    assert.equal(rotation.status, 200);
    rotated.secrets = [rotation.body.secret];
    const ed = await subscribe(stack, asym, { signature: 'ed25519' });

    const text = await tableText(stack);
    for (const secret of [...subs.map((s) => s.secret), rotation.body.secret as string]) {
      assert.ok(!text.includes(secret) && !text.includes(secret.slice('whsec_'.length)), 'a signing secret is readable in the table');
    }
    assert.doesNotMatch(text, /whsec_|whsk_/, 'no secret or private key in any form');
    const { rows } = await stack.db.query<{ secret: string; previous_secret: string | null }>('SELECT secret, previous_secret FROM subscriptions');
    for (const r of rows) {
      assert.match(r.secret, /^hfenc1:test1:[A-Za-z0-9+/]+=*$/);
      if (r.previous_secret !== null) assert.match(r.previous_secret, /^hfenc1:test1:/);
    }
    // The API still hands out the secret where it always did.
    assert.equal((await stack.call('GET', `/v1/subscriptions/${subs[1]!.id}/secret`)).body.secret, subs[1]!.secret);

    for (const [r, s] of [[plain, subs[0]!], [custom, subs[1]!], [rotated, subs[2]!], [asym, ed]] as const) await deliverAndVerify(stack, r, s.eventType);
    const both = rotated.received.at(-1)!.headers['webhook-signature'] as string;
    assert.equal(both.split(' ').length, 2, 'the rotated subscription signs with old and new secret during the grace period');
  });

  void test('plaintext rows from before encryption at rest are sealed in resumable, idempotent batches', async () => {
    const r = await pool.start();
    const secrets = Array.from({ length: 5 }, () => generateSecret());
    const ids = secrets.map(() => newId('sub'));
    const eventType = `legacy.${randomBytes(3).toString('hex')}`;
    for (const [i, id] of ids.entries()) {
      // As rows written by a version before migration 005: the secret in the clear.
      await stack.db.query(
        `INSERT INTO subscriptions (id, url, event_types, secret, previous_secret, previous_secret_expires_at) VALUES ($1, $2, $3, $4, $5, now() + interval '1 hour')`,
        [id, r.url, [i === 0 ? eventType : `${eventType}.other`], secrets[i], i === 1 ? generateSecret() : null],
      );
    }
    const box = secretBox(stack.config);
    const seen: number[] = [];
    // Interrupted after its first batch (as by a crash): that batch stays done.
    await assert.rejects(
      resealSecrets(stack.db, box, {
        batchSize: 2,
        onProgress: (p) => {
          seen.push(p.done);
          throw new Error('interrupted');
        },
      }),
      /interrupted/,
    );
    assert.deepEqual(seen, [2]);
    const snapshot = async () => (await stack.db.query<{ id: string; secret: string }>('SELECT id, secret FROM subscriptions WHERE id = ANY($1) ORDER BY id', [ids])).rows;
    const afterFirst = await snapshot();
    assert.equal(afterFirst.filter((row) => row.secret.startsWith('hfenc1:')).length, 2);

    const progress: string[] = [];
    const resumed = await sealStoredSecrets(stack.db, box, (line) => progress.push(line));
    assert.deepEqual(resumed, { done: 3, total: 3 }, 'only the rows left are touched');
    assert.match(progress.at(-1)!, /3\/3/);
    const afterAll = await snapshot();
    for (const row of afterFirst.filter((x) => x.secret.startsWith('hfenc1:'))) {
      assert.equal(afterAll.find((x) => x.id === row.id)!.secret, row.secret, 'a row sealed before is not sealed again');
    }
    assert.doesNotMatch(await tableText(stack), /whsec_/);
    assert.deepEqual(await sealStoredSecrets(stack.db, box, () => undefined), { done: 0, total: 0 }, 'idempotent');

    r.secrets = [secrets[0]!];
    await deliverAndVerify(stack, r, eventType);
  });

  void test('rotating the storage key: rotate-secret-keys re-encrypts every row under the new key in batches, and every subscription still verifies', async () => {
    const [k1, k2] = [`old1:${ringKey()}`, `new2:${ringKey()}`];
    const a = await startStack({ HOOKFLOW_SECRET_KEYS: k1 });
    const receivers = await Promise.all(Array.from({ length: 5 }, () => pool.start()));
    const subs = [];
    // Custom header values are sealed with the same key ring and rotate with the secrets.
    for (const [i, r] of receivers.entries()) {
      subs.push(await subscribe(a, r, { ...(i >= 3 ? { signature: 'ed25519' } : {}), ...(i % 2 === 0 ? { headers: { 'X-Api-Key': `key-${i}`, 'X-Team': `team-${i}` } } : {}) }));
    }
    const rotation = await a.call('POST', `/v1/subscriptions/${subs[2]!.id}/secret/rotate`, { graceSeconds: 3600 });
    const ed25519Rotation = await a.call('POST', `/v1/subscriptions/${subs[4]!.id}/secret/rotate`, { graceSeconds: 3600 });
    assert.match(ed25519Rotation.body.publicKey, /^whpk_/);
    await a.stop();

    const env = { ...process.env, NODE_ENV: 'production', LOG_LEVEL: 'silent', DATABASE_URL: a.config.databaseUrl!, HOOKFLOW_SECRET_KEYS: `${k2},${k1}` };
    const { stdout } = await run(process.execPath, ['--import', 'tsx', 'src/cli/index.ts', 'rotate-secret-keys', '--batch-size', '2'], { env, timeout: 60_000 });
    assert.match(stdout, /re-encrypting signing secrets under key new2/);
    assert.match(stdout, /2\/5 subscriptions[\s\S]*4\/5 subscriptions[\s\S]*5\/5 subscriptions/, stdout);
    assert.match(stdout, /5 re-encrypted, 0 left under other keys/, stdout);
    const again = await run(process.execPath, ['--import', 'tsx', 'src/cli/index.ts', 'rotate-secret-keys'], { env, timeout: 60_000 });
    assert.match(again.stdout, /0 re-encrypted, 0 left/, 'a second run has nothing to do');

    // The old key is gone from this stack's ring: everything must open under new2 alone.
    const b = await startStack({ DATABASE_URL: a.config.databaseUrl!, HOOKFLOW_SECRET_KEYS: k2 });
    try {
      const { rows } = await b.db.query<{ secret: string; previous_secret: string | null; headers: Record<string, string> }>('SELECT secret, previous_secret, headers FROM subscriptions');
      assert.equal(rows.length, 5);
      for (const row of rows) assert.ok(row.secret.startsWith('hfenc1:new2:') && (row.previous_secret ?? 'hfenc1:new2:').startsWith('hfenc1:new2:'));
      const headerValues = rows.flatMap((row) => Object.values(row.headers));
      assert.equal(headerValues.length, 6);
      for (const v of headerValues) assert.match(v, /^hfenc1:new2:/);
      assert.deepEqual((await b.call('GET', `/v1/subscriptions/${subs[2]!.id}/headers`)).body.headers, { 'X-Api-Key': 'key-2', 'X-Team': 'team-2' });
      assert.equal((await b.call('GET', `/v1/subscriptions/${subs[0]!.id}/secret`)).body.secret, subs[0]!.secret);
      receivers[2]!.secrets = [rotation.body.secret];
      receivers[4]!.secrets = [ed25519Rotation.body.publicKey];
      for (const [i, r] of receivers.entries()) {
        await deliverAndVerify(b, r, subs[i]!.eventType);
        assert.equal(r.received.at(-1)!.headers['x-api-key'], i % 2 === 0 ? `key-${i}` : undefined);
      }
      // The rotated ones still carry both signatures, and the old secret / old public key verifies too.
      receivers[2]!.secrets = [subs[2]!.secret];
      receivers[4]!.secrets = [subs[4]!.publicKey!];
      for (const i of [2, 4]) await deliverAndVerify(b, receivers[i]!, subs[i]!.eventType);
    } finally {
      await b.stop();
    }
  });
});
