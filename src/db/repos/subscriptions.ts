import type { PoolClient } from 'pg';
import type { RetryPolicyConfig } from '../../config';
import type { Db } from '../pool';
import { keysetAfter, type KeysetCursor } from './keyset';
import type { ThrottleLimits } from '../../../workflows/throttle/messages';
import type { Ordering } from '../../../workflows/ordering/messages';
import { throttleSql, type StoredThrottle } from './throttle';

export interface SubscriptionRow {
  id: string;
  tenant_id: string;
  url: string;
  event_types: string[];
  description: string | null;
  /** Sealed (src/security/secret-box.ts): a whsec_ secret, or a whsk_ key for ed25519. */
  secret: string;
  previous_secret: string | null;
  previous_secret_expires_at: Date | null;
  retry_policy: Partial<RetryPolicyConfig> | null;
  throttle: ThrottleLimits | null;
  ordering: Ordering;
  metadata: Record<string, unknown>;
  signature_scheme: SignatureScheme;
  /** The whpk_ public key of an ed25519 subscription (not a secret). */
  public_key: string | null;
  /** Custom header name → sealed value (src/endpoint-headers/sealed-headers.ts). */
  headers: Record<string, string>;
  /** Payload filter matched at fan-out (src/payload-filter/); null matches every event. */
  filter: Record<string, unknown> | null;
  /** Requests carry a W3C traceparent when tracing is on. */
  traceparent: boolean;
  active: boolean;
  disabled_reason: string | null;
  last_success_at: Date | null;
  deleted_at: Date | null;
  created_at: Date;
  updated_at: Date;
}

export type SignatureScheme = 'hmac-sha256' | 'ed25519';

export interface NewSubscription {
  id: string;
  tenantId: string;
  url: string;
  eventTypes: string[];
  description: string | null;
  /** Already sealed. */
  secret: string;
  retryPolicy: Partial<RetryPolicyConfig> | null;
  throttle?: ThrottleLimits | null;
  ordering?: Ordering;
  metadata: Record<string, unknown>;
  signatureScheme?: SignatureScheme;
  publicKey?: string | null;
  /** Already sealed. */
  headers?: Record<string, string>;
  filter?: Record<string, unknown> | null;
  traceparent?: boolean;
}

export type SubscriptionPatch = Partial<Omit<NewSubscription, 'id' | 'tenantId' | 'secret' | 'signatureScheme' | 'publicKey'>> & { active?: boolean };

type Queryable = Db | PoolClient;

/** Undefined when the tenant does not exist or was deleted: nothing is stored then. */
export async function insertSubscription(db: Queryable, s: NewSubscription): Promise<SubscriptionRow | undefined> {
  const { rows } = await db.query<SubscriptionRow>(
    `INSERT INTO subscriptions (id, tenant_id, url, event_types, description, secret, retry_policy, metadata, signature_scheme, public_key, headers, filter, throttle, traceparent, ordering)
     SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15 WHERE EXISTS (SELECT 1 FROM tenants WHERE id = $2 AND deleted_at IS NULL)
     RETURNING *`,
    [s.id, s.tenantId, s.url, s.eventTypes, s.description, s.secret, s.retryPolicy, s.metadata, s.signatureScheme ?? 'hmac-sha256', s.publicKey ?? null, s.headers ?? {}, s.filter ?? null, s.throttle ?? null, s.traceparent ?? false, s.ordering ?? 'none'],
  );
  return rows[0];
}

/** Subscriptions a tenant has (not deleted): what HOOKFLOW_MAX_SUBSCRIPTIONS_PER_TENANT counts. */
export async function countTenantSubscriptions(db: Queryable, tenantId: string): Promise<number> {
  const { rows } = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM subscriptions WHERE tenant_id = $1 AND deleted_at IS NULL', [tenantId]);
  return rows[0]!.n;
}

export async function getSubscription(db: Queryable, id: string): Promise<SubscriptionRow | undefined> {
  const { rows } = await db.query<SubscriptionRow>(
    'SELECT * FROM subscriptions WHERE id = $1 AND deleted_at IS NULL',
    [id],
  );
  return rows[0];
}

/** Keyset pagination on (created_at, id): stable under concurrent inserts, unlike OFFSET. */
export async function listSubscriptions(
  db: Queryable,
  opts: { limit: number; tenantId?: string; after?: KeysetCursor },
): Promise<SubscriptionRow[]> {
  const params: unknown[] = [opts.limit];
  const where = ['deleted_at IS NULL'];
  if (opts.tenantId !== undefined) {
    params.push(opts.tenantId);
    where.push(`tenant_id = $${params.length}`);
  }
  if (opts.after) where.push(keysetAfter('subscriptions', params, opts.after, 'asc'));
  const { rows } = await db.query<SubscriptionRow>(
    `SELECT * FROM subscriptions WHERE ${where.join(' AND ')} ORDER BY created_at, id LIMIT $1`,
    params,
  );
  return rows;
}

const PATCH_COLUMNS: Record<keyof SubscriptionPatch, string> = {
  url: 'url',
  eventTypes: 'event_types',
  description: 'description',
  retryPolicy: 'retry_policy',
  throttle: 'throttle',
  ordering: 'ordering',
  metadata: 'metadata',
  headers: 'headers',
  filter: 'filter',
  traceparent: 'traceparent',
  active: 'active',
};

export async function updateSubscription(
  db: Queryable,
  id: string,
  patch: SubscriptionPatch,
): Promise<SubscriptionRow | undefined> {
  const sets: string[] = [];
  const params: unknown[] = [id];
  for (const [key, column] of Object.entries(PATCH_COLUMNS) as [keyof SubscriptionPatch, string][]) {
    if (patch[key] === undefined) continue;
    params.push(patch[key]);
    sets.push(`${column} = $${params.length}`);
  }
  // Re-enabling clears the reason it was disabled for.
  if (patch.active === true) sets.push('disabled_reason = NULL');
  sets.push('updated_at = now()');
  const { rows } = await db.query<SubscriptionRow>(
    `UPDATE subscriptions SET ${sets.join(', ')} WHERE id = $1 AND deleted_at IS NULL RETURNING *`,
    params,
  );
  return rows[0];
}

export async function softDeleteSubscription(db: Queryable, id: string): Promise<boolean> {
  const { rowCount } = await db.query(
    `UPDATE subscriptions SET deleted_at = now(), active = false, updated_at = now()
     WHERE id = $1 AND deleted_at IS NULL`,
    [id],
  );
  return rowCount === 1;
}

/** `newSecret` is sealed; `publicKey` is the new key pair's public half for ed25519, else null. */
export async function rotateSecret(
  db: Queryable,
  id: string,
  newSecret: string,
  graceSeconds: number,
  publicKey: string | null = null,
): Promise<SubscriptionRow | undefined> {
  const { rows } = await db.query<SubscriptionRow>(
    `UPDATE subscriptions
     SET previous_secret = CASE WHEN $3::int > 0 THEN secret END,
         previous_secret_expires_at = CASE WHEN $3::int > 0 THEN now() + make_interval(secs => $3) END,
         secret = $2, public_key = $4, updated_at = now()
     WHERE id = $1 AND deleted_at IS NULL RETURNING *`,
    [id, newSecret, graceSeconds, publicKey],
  );
  return rows[0];
}

/** Disables only a still-active subscription, so the first reason recorded wins. */
export async function disableSubscription(db: Queryable, id: string, reason: string): Promise<boolean> {
  const { rowCount } = await db.query(
    `UPDATE subscriptions SET active = false, disabled_reason = $2, updated_at = now()
     WHERE id = $1 AND active AND deleted_at IS NULL`,
    [id, reason],
  );
  return rowCount === 1;
}

/** Sealed secrets valid right now: the current one first, then the previous one during its grace period. */
export function signingSecrets(
  row: Pick<SubscriptionRow, 'secret' | 'previous_secret' | 'previous_secret_expires_at'>,
  now = new Date(),
): string[] {
  const secrets = [row.secret];
  if (row.previous_secret && row.previous_secret_expires_at && row.previous_secret_expires_at > now) {
    secrets.push(row.previous_secret);
  }
  return secrets;
}

/** What deliveries and dead letters need to know of a subscription, deleted or not. */
export interface SubscriptionFacts {
  id: string;
  tenant_id: string;
  url: string;
  event_types: string[];
  retry_policy: RetryPolicyConfig;
  active: boolean;
  disabled_reason: string | null;
  last_success_at: Date | null;
  /** Active and not deleted: deliveries may go to it. */
  live: boolean;
  /** Its throttle as deliveries carry it (./throttle.ts). */
  throttle: StoredThrottle;
}

const FACTS = `id, tenant_id, url, event_types, retry_policy, active, disabled_reason, last_success_at,
  (active AND deleted_at IS NULL) AS live, ${throttleSql('subscriptions')} AS throttle`;

export async function subscriptionFacts(db: Queryable, id: string): Promise<SubscriptionFacts | undefined> {
  const { rows } = await db.query<SubscriptionFacts>(`SELECT ${FACTS} FROM subscriptions WHERE id = $1`, [id]);
  return rows[0];
}

/** The named subscriptions that are not deleted. */
export async function subscriptionFactsOf(db: Queryable, ids: string[]): Promise<SubscriptionFacts[]> {
  const { rows } = await db.query<SubscriptionFacts>(`SELECT ${FACTS} FROM subscriptions WHERE id = ANY($1) AND deleted_at IS NULL`, [ids]);
  return rows;
}
