import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Connection } from '@temporalio/client';
import { resolveTemporalCli } from '../../src/dev/temporal-cli-binary';
import { startDevServer, type DevServer } from '../../src/dev/temporal-dev-server';

const SEARCH_ATTRIBUTES = ['HookflowStatus', 'HookflowSubscriptionId', 'HookflowEventId', 'HookflowEventType'];

async function withEnv<T>(vars: Record<string, string | undefined>, fn: () => Promise<T>): Promise<T> {
  const saved = Object.fromEntries(Object.keys(vars).map((k) => [k, process.env[k]]));
  const apply = (v: Record<string, string | undefined>): void => {
    for (const [k, val] of Object.entries(v)) {
      if (val === undefined) delete process.env[k];
      else process.env[k] = val;
    }
  };
  apply(vars);
  try {
    return await fn();
  } finally {
    apply(saved);
  }
}

void test('resolution order: TEMPORAL_CLI_PATH wins, and a bad value is a clear error', async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'hookflow-cli-'));
  try {
    const fake = path.join(dir, 'fake-temporal');
    await writeFile(fake, '#!/bin/sh\necho fake\n', { mode: 0o755 });
    const found = await withEnv({ TEMPORAL_CLI_PATH: fake }, () => resolveTemporalCli({ projectRoot: dir }));
    assert.deepEqual(found, { path: fake, source: 'env' });

    const missing = path.join(dir, 'nope');
    await assert.rejects(
      withEnv({ TEMPORAL_CLI_PATH: missing }, () => resolveTemporalCli({ projectRoot: dir })),
      (err: Error) => err.message.includes('TEMPORAL_CLI_PATH') && err.message.includes(missing),
    );

    // Nothing cached, nothing on PATH, building not allowed: defer to the SDK's download.
    const none = await withEnv({ TEMPORAL_CLI_PATH: undefined, PATH: dir }, () =>
      resolveTemporalCli({ projectRoot: dir, allowBuild: false }),
    );
    assert.deepEqual(none, { source: 'sdk-download' });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

void test('dev server registers search attributes, stops cleanly and restarts on the same db', { timeout: 20 * 60_000 }, async (t) => {
  const cli = await resolveTemporalCli({ onProgress: (l) => t.diagnostic(l) });
  t.diagnostic(`temporal CLI: ${JSON.stringify(cli)}`);
  const dir = await mkdtemp(path.join(tmpdir(), 'hookflow-devserver-'));
  const start = async (): Promise<DevServer> => {
    const began = Date.now();
    const server = await startDevServer({
      cli,
      port: 0,
      headless: false,
      dbFilename: path.join(dir, 'temporal.sqlite'),
      searchAttributes: SEARCH_ATTRIBUTES.map((n) => `${n}=Keyword`),
      sqlitePragmas: { journal_mode: 'wal', synchronous: 'normal' },
    });
    t.diagnostic(`dev server ready at ${server.address} (UI ${server.uiUrl}) in ${Date.now() - began} ms`);
    return server;
  };
  const assertAttributes = async (address: string): Promise<void> => {
    const conn = await Connection.connect({ address });
    try {
      const res = await conn.operatorService.listSearchAttributes({ namespace: 'default' });
      for (const name of SEARCH_ATTRIBUTES) assert.ok(name in (res.customAttributes ?? {}), `${name} registered`);
    } finally {
      await conn.close();
    }
  };

  try {
    const first = await start();
    try {
      await assertAttributes(first.address);
    } finally {
      await first.stop();
    }
    const pid = first.pid;
    assert.ok(pid, 'path-based server reports its pid');
    assert.throws(() => process.kill(pid, 0), /ESRCH/);

    const second = await start();
    try {
      await assertAttributes(second.address);
    } finally {
      await second.stop();
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
