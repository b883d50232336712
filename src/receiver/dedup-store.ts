// Idempotency for receivers: senders retry, so the same webhook-id can arrive more than once.

export interface DedupStore {
  /** Atomically marks the id as seen; true only for the first claim within the TTL. */
  claim(webhookId: string, ttlSeconds: number): Promise<boolean>;
  /** Forgets a claim, so a sender's retry is processed after the handler failed. */
  release(webhookId: string): Promise<void>;
}

export interface MemoryDedupStoreOptions {
  maxEntries?: number;
  /** Milliseconds; injectable for tests. */
  now?: () => number;
}

/**
 * Single-process store. Map iteration order is insertion order, so the first key is always the
 * oldest claim; bounding it trades perfect dedup under floods for bounded memory.
 */
export class MemoryDedupStore implements DedupStore {
  private readonly expiries = new Map<string, number>();
  private readonly maxEntries: number;
  private readonly now: () => number;

  constructor(options: MemoryDedupStoreOptions = {}) {
    this.maxEntries = Math.max(1, options.maxEntries ?? 10_000);
    this.now = options.now ?? Date.now;
  }

  get size(): number {
    return this.expiries.size;
  }

  async claim(webhookId: string, ttlSeconds: number): Promise<boolean> {
    const now = this.now();
    const expiry = this.expiries.get(webhookId);
    if (expiry !== undefined && expiry > now) return false;
    // Re-inserting moves the id to the young end so eviction order stays oldest-first.
    this.expiries.delete(webhookId);
    this.evict(now);
    this.expiries.set(webhookId, now + ttlSeconds * 1000);
    return true;
  }

  async release(webhookId: string): Promise<void> {
    this.expiries.delete(webhookId);
  }

  private evict(now: number): void {
    for (const [id, expiry] of this.expiries) {
      // TTLs may differ per claim, so stop at the first live entry rather than scan everything.
      if (expiry > now && this.expiries.size < this.maxEntries) break;
      this.expiries.delete(id);
    }
  }
}
