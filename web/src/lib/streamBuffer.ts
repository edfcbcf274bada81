// Batching for the live feed: events arrive one by one (maybe 500/s); the page renders the
// pending batch a few times a second, newest first, keeping at most `cap` rows.

export class StreamBuffer<T> {
  private pending: T[] = [];
  /** Events received since creation. */
  total = 0;
  /** Events never rendered because a burst overflowed the cap between two flushes. */
  skipped = 0;

  constructor(readonly cap: number) {}

  push(item: T): void {
    this.total += 1;
    this.pending.push(item);
    // Amortised trim: a burst larger than what can be shown is cut in one splice.
    if (this.pending.length >= this.cap * 2) {
      const extra = this.pending.length - this.cap;
      this.pending.splice(0, extra);
      this.skipped += extra;
    }
  }

  get pendingCount(): number {
    return this.pending.length;
  }

  /** Merge the pending events into `list` (newest first, capped); null when nothing is new. */
  drain(list: readonly T[]): T[] | null {
    if (this.pending.length === 0) return null;
    const fresh = this.pending.reverse();
    this.pending = [];
    if (fresh.length >= this.cap) {
      this.skipped += fresh.length - this.cap;
      return fresh.slice(0, this.cap);
    }
    return fresh.concat(list.slice(0, this.cap - fresh.length));
  }
}
