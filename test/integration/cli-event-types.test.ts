// `hookflow event-types` as people run it, as a subprocess against a real stack: apply makes the
// catalog match a YAML or JSON file and a second run changes nothing; list and show print it.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { cliEnv, runCli } from '../support/cli';
import { startStack, type Stack } from '../support/stack';

const FIXTURE = path.join(__dirname, '..', 'fixtures', 'event-catalog.yaml');

void describe('hookflow event-types', () => {
  let stack: Stack;
  let env: NodeJS.ProcessEnv;
  const dir = mkdtempSync(path.join(tmpdir(), 'hookflow-catalog-'));

  before(async () => {
    stack = await startStack({}, { worker: false });
    env = cliEnv(stack);
  });
  after(async () => {
    await stack?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const catalogRows = async () =>
    (await stack.db.query('SELECT name, description, schema::text, examples::text, deprecated, revision, updated_at FROM event_types ORDER BY name')).rows;

  void test('apply creates from YAML, a second run changes nothing, a JSON edit updates only what differs', { timeout: 120_000 }, async () => {
    const first = await runCli(['event-types', 'apply', FIXTURE], env);
    assert.equal(first.code, 0, first.stderr);
    assert.match(first.stdout, /^created customer\.created$/m);
    assert.match(first.stdout, /^created invoice\.paid$/m);
    assert.match(first.stdout, /^3 created, 0 updated, 0 deleted, 0 unchanged$/m);
    const paid = await stack.call('GET', '/v1/event-types/invoice.paid');
    assert.equal(paid.body.schema.$defs.cents.minimum, 0);
    assert.deepEqual(paid.body.examples[0].customer, { email: 'ada@example.com', name: 'Ada' });

    const rows = await catalogRows();
    const again = await runCli(['event-types', 'apply', FIXTURE], env);
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stdout, /^nothing to change: 3 event types already match /m);
    assert.deepEqual(await catalogRows(), rows, 'the second run wrote nothing (revisions and timestamps unchanged)');

    // The same catalog as JSON, keys in another order, one description changed and one type left out.
    const edited = [
      { name: 'invoice.refunded', examples: [{ amount: 100, invoice: 'in_42' }], description: 'Refunded.', schema: paid.body && (await stack.call('GET', '/v1/event-types/invoice.refunded')).body.schema },
      { description: 'An invoice was paid in full.', name: 'invoice.paid', schema: paid.body.schema, examples: paid.body.examples },
    ];
    const jsonFile = path.join(dir, 'catalog.json');
    writeFileSync(jsonFile, JSON.stringify({ eventTypes: edited }));
    const dry = await runCli(['event-types', 'apply', jsonFile, '--prune', '--dry-run'], env);
    assert.equal(dry.code, 0, dry.stderr);
    assert.match(dry.stdout, /^would update invoice\.refunded \(description\)$/m);
    assert.match(dry.stdout, /^would delete customer\.created$/m);
    assert.deepEqual(await catalogRows(), rows, 'a dry run changes nothing');

    const kept = await runCli(['event-types', 'apply', jsonFile], env);
    assert.equal(kept.code, 0, kept.stderr);
    assert.match(kept.stdout, /^updated invoice\.refunded \(description\)$/m);
    assert.match(kept.stdout, /^kept customer\.created \(not in the file; --prune deletes it\)$/m);
    const pruned = await runCli(['event-types', 'apply', jsonFile, '--prune'], env);
    assert.equal(pruned.code, 0, pruned.stderr);
    assert.match(pruned.stdout, /^deleted customer\.created$/m);
    assert.match(pruned.stdout, /^0 created, 0 updated, 1 deleted, 2 unchanged$/m);
    assert.deepEqual((await catalogRows()).map((r) => r.name), ['invoice.paid', 'invoice.refunded']);
  });

  void test('a bad file changes nothing and says where it is wrong', { timeout: 60_000 }, async () => {
    const rows = await catalogRows();
    const bad = path.join(dir, 'bad.yaml');
    writeFileSync(bad, 'eventTypes:\n  - name: new.one\n  - name: order.placed\n    schema: { type: object, required: [id] }\n    examples: [{ other: 1 }]\n');
    const res = await runCli(['event-types', 'apply', bad], env);
    assert.equal(res.code, 1);
    assert.match(res.stderr, /order\.placed: examples\.0\.id: is required/);
    assert.match(res.stderr, /nothing was changed/);
    writeFileSync(bad, '- name: a.b\n- name: a.b\n');
    const dup = await runCli(['event-types', 'apply', bad], env);
    assert.equal(dup.code, 1);
    assert.match(dup.stderr, /^ {2}eventTypes\.1\.name: "a\.b" is already defined at entry 0$/m);
    writeFileSync(bad, 'eventTypes:\n  - name: a.b\n  - nam: typo\n');
    const typo = await runCli(['event-types', 'apply', bad], env);
    assert.equal(typo.code, 1);
    assert.match(typo.stderr, /^ {2}eventTypes\.1\.name: /m);
    assert.match(typo.stderr, /^ {2}eventTypes\.1: Unrecognized key: "nam"$/m);
    writeFileSync(bad, 'eventTypes: [ {');
    assert.match((await runCli(['event-types', 'apply', bad], env)).stderr, /is neither YAML nor JSON/);
    // The server's own checks (here the reserved prefix) come back as field errors.
    writeFileSync(bad, '- name: hookflow.mine\n');
    const reserved = await runCli(['event-types', 'apply', bad], env);
    assert.equal(reserved.code, 1);
    assert.match(reserved.stderr, /body\.name: must not start with "hookflow\."/);
    assert.deepEqual(await catalogRows(), rows);
  });

  void test('list and show print the catalog for people, and --json for programs', { timeout: 60_000 }, async () => {
    const list = await runCli(['event-types', 'list'], env);
    assert.equal(list.code, 0, list.stderr);
    assert.match(list.stdout, /^NAME\s+SCHEMA\s+EXAMPLES\s+DEPRECATED\s+DESCRIPTION$/m);
    assert.match(list.stdout, /^invoice\.paid\s+6 fields\s+1\s+An invoice was paid in full\.$/m);
    const asJson = JSON.parse((await runCli(['event-types', 'list', '--json'], env)).stdout);
    assert.deepEqual(asJson.map((t: { name: string }) => t.name), ['invoice.paid', 'invoice.refunded']);

    const show = await runCli(['event-types', 'show', 'invoice.paid'], env);
    assert.equal(show.code, 0, show.stderr);
    assert.match(show.stdout, /^amount\s+integer\s+yes\s+Amount in cents$/m);
    assert.match(show.stdout, /^customer\.email\s+string \(email\)\s+yes\s+-$/m);
    assert.match(show.stdout, /^currency\s+one of "EUR", "USD", "GBP"\s+yes\s+-$/m);
    assert.match(show.stdout, /^example 1:\n\{\n  "invoice": "in_42",/m);
    const missing = await runCli(['event-types', 'show', 'no.such'], env);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /event type no\.such does not exist/);
  });
});
