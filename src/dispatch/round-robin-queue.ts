/**
 * Items queued per group and taken one group at a time, round-robin: the fan-out's workflow starts,
 * grouped by tenant. A tenant's event fanned out to 1,000 subscriptions does not hold up the single
 * start of another tenant's event accepted just after it: that one goes within a round of the
 * tenants already queued. Within a group, items keep the order they were pushed in.
 */
export class RoundRobinQueue<G, T> {
  private readonly rotation: Group<G, T>[] = [];
  private readonly byKey = new Map<G, Group<G, T>>();
  private count = 0;

  /** Items queued, over all groups. */
  get length(): number {
    return this.count;
  }

  /** Appends to the group's items; a group not queued yet joins the rotation at the back. */
  push(group: G, items: readonly T[]): void {
    if (items.length === 0) return;
    let g = this.byKey.get(group);
    if (!g) {
      g = { key: group, items: [], next: 0 };
      this.byKey.set(group, g);
      this.rotation.push(g);
    }
    for (const item of items) g.items.push(item);
    this.count += items.length;
  }

  /** Drops every item, of every group. */
  clear(): void {
    this.rotation.length = 0;
    this.byKey.clear();
    this.count = 0;
  }

  /** The next item of the group at the front, which then goes to the back if it has more. */
  shift(): T | undefined {
    const g = this.rotation.shift();
    if (!g) return undefined;
    const item = g.items[g.next]!;
    // Released at once, not at the next compaction: a taken start must not keep its event's job alive.
    g.items[g.next] = undefined;
    g.next += 1;
    this.count -= 1;
    if (g.next === g.items.length) {
      this.byKey.delete(g.key);
      return item;
    }
    // Drop what was taken once it is most of the array, so a long-lived group does not grow forever.
    if (g.next >= COMPACT_AFTER && g.next * 2 >= g.items.length) {
      g.items.splice(0, g.next);
      g.next = 0;
    }
    this.rotation.push(g);
    return item;
  }
}

interface Group<G, T> {
  key: G;
  items: (T | undefined)[];
  next: number;
}

const COMPACT_AFTER = 1_024;
