// The one source of "now" for the router and every actor. In production it is the system clock.
// Tests move it forward with `setTestClock`, so rules that depend on the date (the daily gift at
// 00:00 UTC, hold and ticket expiry, token lifetimes) are tested at chosen instants — across a
// midnight, a month end — without waiting and without depending on the day the suite runs.
// Tests and actors share one isolate in the test pool, so they see the same clock.

let offsetMs = 0;

export const clock = {
  /** Milliseconds since the epoch. */
  now(): number {
    return Date.now() + offsetMs;
  },

  /** The system-clock instant at which `clock.now()` will read `ms`: what an alarm is set to. */
  realTimeOf(ms: number): number {
    return ms - offsetMs;
  },

  /** What `clock.now()` will read at the system-clock instant `ms` (e.g. a stored alarm). */
  clockTimeOf(realMs: number): number {
    return realMs + offsetMs;
  },
};

/**
 * Test-only: makes the clock read `ms` now and run on from there. Only forward of the system
 * clock, so an alarm armed for a clock time never lands in the system clock's past.
 */
export function setTestClock(ms: number): void {
  if (ms < Date.now()) throw new Error("setTestClock only moves the clock forward");
  offsetMs = ms - Date.now();
}

/** Test-only: back to the system clock. */
export function resetTestClock(): void {
  offsetMs = 0;
}
