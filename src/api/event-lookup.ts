import type { FastifyRequest } from 'fastify';
import { actingTenant } from '../auth/access-control';
import type { Db } from '../db/pool';
import { findEvents, type EventRow } from '../db/repos/events';
import { notFound, Problem } from '../errors/problem';

/**
 * The event a route's `:id` names. Event IDs are unique within a tenant only: a tenant token sees its
 * own tenant's; an operator key names the tenant with `?tenantId=`, and needs to only when two tenants
 * used the same ID.
 */
export async function eventOf(db: Pick<Db, 'query'>, req: FastifyRequest, id: string, named: string | undefined): Promise<EventRow> {
  const found = await findEvents(db, id, actingTenant(req, named));
  if (found.length === 0) throw notFound('event', id);
  if (found.length > 1) {
    throw new Problem(400, 'Bad Request', `event ID ${id} is used by more than one tenant; name the tenant with ?tenantId=`, [
      { path: 'query.tenantId', message: `is required: more than one tenant has an event ${id}` },
    ]);
  }
  return found[0]!;
}
