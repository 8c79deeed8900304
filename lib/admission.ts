/**
 * Admission for costly work: at most `running` tasks at once, at most `waiting` more queued (first
 * come, first served); a task beyond both is refused at once with the error `refuse()` makes, so a
 * burst neither piles up unbounded nor holds the service that does the work.
 */
export class Admission {
  private active = 0;
  private readonly queue: (() => void)[] = [];

  constructor(
    readonly running: number,
    readonly waiting: number,
    private readonly refuse: () => Error,
  ) {}

  /** Runs `task` when a place is free; throws refuse()'s error when none is left. */
  async run<T>(task: () => Promise<T>): Promise<T> {
    if (this.active >= this.running) {
      if (this.queue.length >= this.waiting) throw this.refuse();
      await new Promise<void>(resolve => this.queue.push(resolve));
    } else {
      this.active++;
    }
    try {
      return await task();
    } finally {
      // The place passes to the first one waiting, else it is freed.
      const next = this.queue.shift();
      if (next !== undefined) next();
      else this.active--;
    }
  }

  /** Tasks running and waiting now. */
  get load(): { running: number; waiting: number } {
    return { running: this.active, waiting: this.queue.length };
  }
}
