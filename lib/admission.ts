/**
 * Admission for costly work: at most `running` tasks at once, at most `waiting` more queued (first
 * come, first served), each for at most `maxWaitMs`; a task beyond both is refused at once, and
 * one whose wait runs out is refused then, with the error `refuse()` makes, so a burst neither
 * piles up unbounded nor holds the service that does the work, and a caller is told "busy" while
 * its own deadline leaves time for the answer, rather than timing out.
 */
export class Admission {
  private active = 0;
  private readonly queue: (() => void)[] = [];

  constructor(
    readonly running: number,
    readonly waiting: number,
    private readonly refuse: (waitedMs?: number) => Error,
    readonly maxWaitMs = Infinity,
  ) {}

  /** Runs `task` when a place is free; throws refuse()'s error when none is left in time. */
  async run<T>(task: () => Promise<T>): Promise<T> {
    if (this.active >= this.running) {
      if (this.queue.length >= this.waiting) throw this.refuse();
      await new Promise<void>((resolve, reject) => {
        const turn = (): void => {
          clearTimeout(timer);
          resolve();
        };
        const timer = Number.isFinite(this.maxWaitMs)
          ? setTimeout(() => {
              // Out of the queue: a place freed later goes to the next one waiting.
              this.queue.splice(this.queue.indexOf(turn), 1);
              reject(this.refuse(this.maxWaitMs));
            }, this.maxWaitMs)
          : undefined;
        this.queue.push(turn);
      });
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
