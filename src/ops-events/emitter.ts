import { createHash } from 'node:crypto';
import type { Db } from '../db/pool';
import { anyEventExists } from '../db/repos/events';
import { EventIntake } from '../dispatch/accept-events';
import type { Fanout } from '../dispatch/fanout';
import type { Metrics } from '../metrics/registry';
import { OPS_TENANT, type OpsPayloads, type OpsEventType } from './types';

/**
 * The event ID of an operational event, derived from what it is about (`key`), so an activity that
 * is retried after emitting stores nothing new: the insert conflicts on the ID and is a replay.
 */
export function opsEventId(type: OpsEventType, key: string): string {
  return `hfop_${createHash('sha256').update(`${type}\u0000${key}`).digest('hex').slice(0, 40)}`;
}

/**
 * Emits operational events through the same accept path as POST /v1/events: stored with their
 * fan-out plan in one transaction (acceptEvents), then started by a fan-out. If the start fails or
 * the process dies, the event is undispatched in PostgreSQL and the API's sweeper starts it.
 */
export class OpsEvents {
  private readonly intake: EventIntake;

  constructor(private readonly deps: { db: Db; fanout: Fanout; metrics: Metrics }) {
    this.intake = new EventIntake(deps);
  }

  /** Resolves once stored (and started, unless that is left to the sweeper); throws if not stored. */
  async emit<T extends OpsEventType>(type: T, key: string, payload: OpsPayloads[T]): Promise<{ id: string; created: boolean }> {
    const id = opsEventId(type, key);
    // The same event whatever the payload: a retry's payload (a later timestamp) is still the same event.
    const [accepted] = await this.intake.accept([{ id, tenantId: OPS_TENANT, type, dataJson: JSON.stringify(payload), sameEventWhen: 'same-id' }], {
      start: 'await',
    });
    if (!accepted!.created) return { id, created: false };
    this.deps.metrics.operationalEvent(type);
    return { id, created: true };
  }

  /** Whether any of these operational events was stored (e.g. a failing notice before a success). */
  async anyExists(ids: string[]): Promise<boolean> {
    return anyEventExists(this.deps.db, OPS_TENANT, ids);
  }
}
