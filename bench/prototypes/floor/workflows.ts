// Trivial workflows for floor.ts; the last one has the delivery workflow's shape (two upserts, one activity).
import { proxyActivities, proxyLocalActivities, upsertSearchAttributes } from '@temporalio/workflow';
import { HookflowStatus } from '../../../workflows/search-attributes';
const a = proxyActivities<{ noop(): Promise<void> }>({ startToCloseTimeout: '10s' });
const l = proxyLocalActivities<{ noop(): Promise<void> }>({ startToCloseTimeout: '10s' });
export async function empty(): Promise<void> {}
export async function oneActivity(): Promise<void> { await a.noop(); }
export async function oneLocal(): Promise<void> { await l.noop(); }
export async function hookflowShape(): Promise<void> {
  upsertSearchAttributes([{ key: HookflowStatus, value: 'delivering' }]);
  await a.noop();
  upsertSearchAttributes([{ key: HookflowStatus, value: 'succeeded' }]);
}
