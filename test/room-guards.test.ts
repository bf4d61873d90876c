// The room's per-connection flow control as plain functions of arrival times: exact counts for
// the frame rate limit, the cursor throttle, the cursor flood cap and the refused-frame count.
import { describe, expect, it } from "vitest";
import { ConnectionGuards } from "../src/actors/room/guards.ts";
import {
  ROOM_CURSOR_BURST_MAX,
  ROOM_CURSOR_FRAMES_PER_SECOND_MAX,
  ROOM_CURSOR_MIN_INTERVAL_MS,
  ROOM_MESSAGES_PER_SECOND,
  ROOM_VIOLATION_WINDOW_MS,
  ROOM_VIOLATIONS_MAX,
} from "../src/shared/limits.ts";

const T0 = 1_000_000;
const times = (count: number, stepMs: number, from = T0) =>
  Array.from({ length: count }, (_, i) => from + i * stepMs);

describe("frame rate", () => {
  it(`lets ${ROOM_MESSAGES_PER_SECOND} frames through in a second, refuses the next, and starts over a second later`, () => {
    const guards = new ConnectionGuards();
    const first = times(ROOM_MESSAGES_PER_SECOND + 1, 0).map((at) => guards.withinRate("c", at));
    expect(first.filter(Boolean)).toHaveLength(ROOM_MESSAGES_PER_SECOND);
    expect(first.at(-1)).toBe(false);
    expect(guards.withinRate("c", T0 + 999)).toBe(false);
    expect(guards.withinRate("c", T0 + 1000)).toBe(true);
    expect(guards.withinRate("other", T0)).toBe(true); // per connection
  });

  it("never counts cursor frames against the frame rate", () => {
    const guards = new ConnectionGuards();
    for (const at of times(ROOM_CURSOR_FRAMES_PER_SECOND_MAX, 0)) {
      guards.cursorWithinFlood("c", at);
      guards.cursorRelay("c", at);
    }
    const patches = times(ROOM_MESSAGES_PER_SECOND, 0).map((at) => guards.withinRate("c", at));
    expect(patches.every(Boolean)).toBe(true);
    expect(guards.withinRate("c", T0)).toBe(false); // the frame rate's own bound, unchanged
  });
});

describe("cursor throttle", () => {
  it(`relays a burst of ${ROOM_CURSOR_BURST_MAX} after a pause, then one per ${ROOM_CURSOR_MIN_INTERVAL_MS} ms`, () => {
    const guards = new ConnectionGuards();
    const relay = (at: number) => guards.cursorRelay("c", at);
    expect([relay(T0), relay(T0), relay(T0 + 1)]).toEqual([true, true, false]);
    expect(relay(T0 + ROOM_CURSOR_MIN_INTERVAL_MS - 1)).toBe(false);
    expect(relay(T0 + ROOM_CURSOR_MIN_INTERVAL_MS)).toBe(true);
    expect(relay(T0 + ROOM_CURSOR_MIN_INTERVAL_MS + 1)).toBe(false);
    // A long pause earns a burst again, never more.
    const later = T0 + 60_000;
    expect(times(ROOM_CURSOR_BURST_MAX + 1, 0, later).map(relay)).toEqual([
      ...Array(ROOM_CURSOR_BURST_MAX).fill(true),
      false,
    ]);
  });

  it("relays one cursor per interval on average from a stream of one every 4 ms for two seconds", () => {
    const guards = new ConnectionGuards();
    const stream = times(500, 4);
    const relayed = stream.filter((at) => guards.cursorRelay("c", at)).length;
    const span = (stream.at(-1) ?? T0) - T0;
    expect(relayed).toBe(
      Math.floor(
        (ROOM_CURSOR_BURST_MAX * ROOM_CURSOR_MIN_INTERVAL_MS + span) / ROOM_CURSOR_MIN_INTERVAL_MS,
      ),
    );
  });

  it(`counts cursor frames past ${ROOM_CURSOR_FRAMES_PER_SECOND_MAX} a second as a flood`, () => {
    const guards = new ConnectionGuards();
    const within = times(ROOM_CURSOR_FRAMES_PER_SECOND_MAX + 2, 0).map((at) =>
      guards.cursorWithinFlood("c", at),
    );
    expect(within.filter((ok) => !ok)).toHaveLength(2);
    expect(within.slice(0, ROOM_CURSOR_FRAMES_PER_SECOND_MAX).every(Boolean)).toBe(true);
    expect(guards.cursorWithinFlood("c", T0 + 1000)).toBe(true); // a new second
  });
});

describe("refused frames", () => {
  it(`reports the ${ROOM_VIOLATIONS_MAX}th refusal within the window, and forgets older ones`, () => {
    const guards = new ConnectionGuards();
    const verdicts = times(ROOM_VIOLATIONS_MAX, 10).map((at) => guards.violation("c", at));
    expect(verdicts.indexOf(true)).toBe(ROOM_VIOLATIONS_MAX - 1);
    const fresh = new ConnectionGuards();
    const spread = times(ROOM_VIOLATIONS_MAX, ROOM_VIOLATION_WINDOW_MS / (ROOM_VIOLATIONS_MAX - 1));
    expect(spread.map((at) => fresh.violation("c", at)).some(Boolean)).toBe(false);
    guards.forget("c");
    expect(guards.violation("c", T0)).toBe(false);
  });
});
