/**
 * Items queued in groups and taken one group at a time, round-robin: the fan-out's workflow starts,
 * grouped by event. An event fanned out to 1,000 subscriptions does not hold up the single start of
 * an event (another tenant's, say) accepted just after it: that one goes within a round of the
 * events already queued. Within a group, items keep their order.
 */
export class RoundRobinQueue<K, T> {
  private readonly groups: { key: K; items: readonly T[]; next: number }[] = [];
  private count = 0;

  /** Items queued, over all groups. */
  get length(): number {
    return this.count;
  }

  push(key: K, items: readonly T[]): void {
    if (items.length === 0) return;
    this.groups.push({ key, items, next: 0 });
    this.count += items.length;
  }

  /** The next item of the group at the front, which then goes to the back if it has more. */
  shift(): { key: K; item: T } | undefined {
    const group = this.groups.shift();
    if (!group) return undefined;
    const item = group.items[group.next]!;
    group.next += 1;
    this.count -= 1;
    if (group.next < group.items.length) this.groups.push(group);
    return { key: group.key, item };
  }
}
