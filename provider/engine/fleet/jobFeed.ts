// A queue between the fleet's reader and its rotator, so that rotations start as soon as the
// first devices are read rather than after all of them: the reader pushes jobs and waits
// while enough are queued; the rotator takes them; either side can wait for the other.
export class JobFeed<T> {
  private readonly items: T[] = [];
  private closed = false;
  private stopReason: Error | undefined;
  private waiters: (() => void)[] = [];

  /** A closed feed holding `items`. */
  static of<T>(items: readonly T[]): JobFeed<T> {
    const feed = new JobFeed<T>();
    feed.push(items);
    feed.close();
    return feed;
  }

  get size(): number {
    return this.items.length;
  }

  /** Closed and empty: nothing more will come. */
  get done(): boolean {
    return this.closed && this.items.length === 0;
  }

  /** Set when the rotator gave up (e.g. a missing permission): the reader should stop. */
  get stopped(): Error | undefined {
    return this.stopReason;
  }

  push(items: readonly T[]): void {
    if (this.closed) throw new Error("push to a closed feed");
    this.items.push(...items);
    this.wake();
  }

  close(): void {
    this.closed = true;
    this.wake();
  }

  stop(reason: Error): void {
    this.stopReason ??= reason;
    this.wake();
  }

  take(n: number): T[] {
    const out = this.items.splice(0, Math.max(0, n));
    if (out.length > 0) this.wake();
    return out;
  }

  /** Resolves at the next push, take, close or stop. */
  changed(): Promise<void> {
    // Closed: nothing will change any more. A promise that never settles, and is not kept, so
    // waiters do not pile up (nor does a caller racing it spin).
    if (this.closed) return new Promise<void>(() => {});
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  /** Resolves once fewer than `max` items are queued, or the feed is stopped. */
  async room(max: number): Promise<void> {
    while (this.items.length >= max && !this.stopReason) await this.changed();
  }

  private wake(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w();
  }
}
