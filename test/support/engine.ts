// Shared steps for the delivery-engine tests: subscribe a receiver, send an event, read status.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { Receiver } from './receiver';
import { waitFor, type Stack } from './stack';

const run = promisify(execFile);

let counter = 0;

/**
 * Subscribes the receiver to an event type of its own, so events sent for one test never fan out
 * to another test's subscriptions on the same stack.
 */
export async function subscribe(
  stack: Stack,
  receiver: Receiver,
  body: Record<string, unknown> = {},
): Promise<{ id: string; secret: string; publicKey: string | null; eventType: string }> {
  const eventType = `test.event_${++counter}`;
  const res = await stack.call('POST', '/v1/subscriptions', { url: receiver.url, eventTypes: [eventType], ...body });
  if (res.status !== 201) throw new Error(`subscription failed: ${res.status} ${JSON.stringify(res.body)}`);
  // An ed25519 subscription has no secret to share: the receiver verifies with its public key.
  receiver.secrets = [res.body.secret ?? res.body.publicKey];
  return { ...res.body, eventType };
}

/** Sends one event and returns the ID of its single delivery. */
export async function sendEvent(stack: Stack, type: string, data: unknown = { n: 1 }): Promise<{ eventId: string; deliveryId: string }> {
  const res = await stack.call('POST', '/v1/events', { type, data });
  if (res.status !== 202) throw new Error(`event failed: ${res.status} ${JSON.stringify(res.body)}`);
  if (res.body.deliveries.length !== 1) throw new Error(`expected one delivery, got ${JSON.stringify(res.body.deliveries)}`);
  return { eventId: res.body.id, deliveryId: res.body.deliveries[0].id };
}

export async function deliveryStatus(stack: Stack, id: string): Promise<any> {
  const res = await stack.call('GET', `/v1/deliveries/${id}`);
  if (res.status !== 200) throw new Error(`status ${res.status}: ${JSON.stringify(res.body)}`);
  return res.body;
}

export function waitForState(stack: Stack, id: string, state: string, timeoutMs = 20_000): Promise<any> {
  return waitFor(async () => {
    const s = await deliveryStatus(stack, id);
    return s.state === state ? s : undefined;
  }, `delivery ${id} to be ${state}`, timeoutMs);
}

export async function attemptsOf(stack: Stack, id: string): Promise<any[]> {
  const res = await stack.call('GET', `/v1/deliveries/${id}/attempts?limit=100`);
  if (res.status !== 200) throw new Error(`attempts ${res.status}: ${JSON.stringify(res.body)}`);
  return res.body.data;
}

/** Runs the real `temporal` CLI against the test server. */
export async function temporalCli(stack: Stack, args: string[]): Promise<string> {
  const bin = process.env.TEMPORAL_CLI_PATH;
  if (!bin) throw new Error('TEMPORAL_CLI_PATH is not set: run through npm test');
  const { stdout } = await run(bin, [...args, '--address', stack.config.temporal.address!, '--namespace', stack.config.temporal.namespace], {
    timeout: 20_000,
  });
  return stdout;
}
