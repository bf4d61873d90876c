// A trailing throttle: at most one value per interval, the first at once and the latest one of
// each burst when the interval is over, so the last position always gets through.

/** Time and one-shot timers, injectable so a test can run the trailing send on demand. */
export interface Timers {
  now(): number;
  after(delayMs: number, run: () => void): void;
}

export class TrailingThrottle<T> {
  private readonly intervalMs: number;
  private readonly emit: (value: T) => void;
  private readonly timers: Timers;
  private lastAt = Number.NEGATIVE_INFINITY;
  private latest: { value: T } | null = null;
  private waiting = false;
  private stopped = false;

  constructor(intervalMs: number, emit: (value: T) => void, timers: Timers) {
    this.intervalMs = intervalMs;
    this.emit = emit;
    this.timers = timers;
  }

  push(value: T): void {
    if (this.stopped) return;
    this.latest = { value };
    if (this.waiting) return; // the trailing send will carry this value
    const waitMs = this.lastAt + this.intervalMs - this.timers.now();
    if (waitMs <= 0) {
      this.flush();
      return;
    }
    this.waiting = true;
    this.timers.after(waitMs, () => {
      this.waiting = false;
      this.flush();
    });
  }

  /** Drops what is pending; nothing is emitted any more. */
  stop(): void {
    this.stopped = true;
    this.latest = null;
  }

  private flush(): void {
    if (this.stopped || !this.latest) return;
    const { value } = this.latest;
    this.latest = null;
    this.lastAt = this.timers.now();
    this.emit(value);
  }
}
