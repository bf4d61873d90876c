// Per-connection flow control for a room: the frame rate limit, the cursor throttle and the
// count of refused frames that closes a flooding connection. Kept in memory: hibernation resets
// it, which only ever errs towards letting a frame through. Time comes in as `now`, so each rule
// is a plain function of arrival times.

import {
  ROOM_CURSOR_BURST_MAX,
  ROOM_CURSOR_FRAMES_PER_SECOND_MAX,
  ROOM_CURSOR_MIN_INTERVAL_MS,
  ROOM_MESSAGES_PER_SECOND,
  ROOM_VIOLATION_WINDOW_MS,
  ROOM_VIOLATIONS_MAX,
} from "../../shared/limits.ts";

const SECOND_MS = 1000;
const CURSOR_CREDIT_MAX_MS = ROOM_CURSOR_BURST_MAX * ROOM_CURSOR_MIN_INTERVAL_MS;

interface Flow {
  /** Arrival times of the frames counted in the last second (cursors are not among them). */
  frames: number[];
  /** Cursor frames since `cursorWindowAt` (a fixed one-second window: cheap at any rate). */
  cursorFrames: number;
  cursorWindowAt: number;
  /** Milliseconds of cursor credit as of `cursorCreditAt`: a relay costs one interval, time
   * earns it back, up to a burst. (Whole milliseconds, so the count is exact.) */
  cursorCreditMs: number;
  cursorCreditAt: number;
  /** Times of refused frames within ROOM_VIOLATION_WINDOW_MS. */
  violations: number[];
}

export class ConnectionGuards {
  private readonly flows = new Map<string, Flow>();

  /** Counts a frame against ROOM_MESSAGES_PER_SECOND; false (and not counted) when over it. */
  withinRate(connectionId: string, now: number): boolean {
    const flow = this.flow(connectionId, now);
    flow.frames = flow.frames.filter((at) => now - at < SECOND_MS);
    if (flow.frames.length >= ROOM_MESSAGES_PER_SECOND) return false;
    flow.frames.push(now);
    return true;
  }

  /**
   * Counts a cursor frame against its own budget, ROOM_CURSOR_FRAMES_PER_SECOND_MAX; false when
   * over it. Cursors never touch the frame rate limit, so drawing cannot crowd out a patch.
   */
  cursorWithinFlood(connectionId: string, now: number): boolean {
    const flow = this.flow(connectionId, now);
    if (now - flow.cursorWindowAt >= SECOND_MS) {
      flow.cursorWindowAt = now;
      flow.cursorFrames = 0;
    }
    flow.cursorFrames++;
    return flow.cursorFrames <= ROOM_CURSOR_FRAMES_PER_SECOND_MAX;
  }

  /** Whether to relay a cursor (one per ROOM_CURSOR_MIN_INTERVAL_MS on average) or drop it. */
  cursorRelay(connectionId: string, now: number): boolean {
    const flow = this.flow(connectionId, now);
    const earnedMs = Math.max(0, now - flow.cursorCreditAt);
    flow.cursorCreditMs = Math.min(CURSOR_CREDIT_MAX_MS, flow.cursorCreditMs + earnedMs);
    flow.cursorCreditAt = now;
    if (flow.cursorCreditMs < ROOM_CURSOR_MIN_INTERVAL_MS) return false;
    flow.cursorCreditMs -= ROOM_CURSOR_MIN_INTERVAL_MS;
    return true;
  }

  /** Records a refused frame; true when it is the one that reaches ROOM_VIOLATIONS_MAX. */
  violation(connectionId: string, now: number): boolean {
    const flow = this.flow(connectionId, now);
    flow.violations = flow.violations.filter((at) => now - at < ROOM_VIOLATION_WINDOW_MS);
    flow.violations.push(now);
    return flow.violations.length >= ROOM_VIOLATIONS_MAX;
  }

  forget(connectionId: string): void {
    this.flows.delete(connectionId);
  }

  private flow(connectionId: string, now: number): Flow {
    let flow = this.flows.get(connectionId);
    if (!flow) {
      flow = {
        frames: [],
        cursorFrames: 0,
        cursorWindowAt: now,
        cursorCreditMs: CURSOR_CREDIT_MAX_MS,
        cursorCreditAt: now,
        violations: [],
      };
      this.flows.set(connectionId, flow);
    }
    return flow;
  }
}
