/** A weighted semaphore: bounds a quantity (events held in memory) shared by many tasks. */
export class Semaphore {
  private available: number;
  private readonly waiting: { amount: number; resolve: () => void }[] = [];

  constructor(readonly capacity: number) {
    this.available = capacity;
  }

  /** Waits until `amount` units are free (an amount above capacity is capped to it) and takes them. */
  acquire(amount: number): Promise<void> {
    const need = Math.min(amount, this.capacity);
    if (this.waiting.length === 0 && this.available >= need) {
      this.available -= need;
      return Promise.resolve();
    }
    return new Promise(resolve => this.waiting.push({ amount: need, resolve }));
  }

  /** Gives back what acquire(amount) took. */
  release(amount: number): void {
    this.available += Math.min(amount, this.capacity);
    // First come, first served: a big request at the head is not starved by small ones behind it.
    while (this.waiting.length > 0) {
      const head = this.waiting[0] as { amount: number; resolve: () => void };
      if (head.amount > this.available) break;
      this.waiting.shift();
      this.available -= head.amount;
      head.resolve();
    }
  }

  /** Units currently taken. */
  get inUse(): number {
    return this.capacity - this.available;
  }
}
