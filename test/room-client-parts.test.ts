// The client SDK's parts on their own: the cursor throttle on a hand-run clock, the bounded
// outbox, the state mirror's verdicts, the inbound frame check, and how a refused ticket
// request is read (its body is as untrusted as any other input).
import { describe, expect, it } from "vitest";
import { RoomError } from "../src/client/errors.ts";
import { StateMirror } from "../src/client/mirror.ts";
import { Outbox } from "../src/client/outbox.ts";
import { type Timers, TrailingThrottle } from "../src/client/throttle.ts";
import { ticketFetcher } from "../src/client/tickets.ts";
import { decodeFrame } from "../src/client/wire.ts";
import {
  ROOM_CLIENT_PROBLEM_DETAIL_MAX_CHARS,
  ROOM_CLIENT_QUEUE_MAX,
  ROOM_CURSOR_MIN_INTERVAL_MS,
  ROOM_STATE_MAX_DEPTH,
} from "../src/shared/limits.ts";
import type { PatchedFrame, WelcomeFrame } from "../src/shared/schemas/room.ts";

class FakeTimers implements Timers {
  at = 0;
  due: { at: number; run: () => void }[] = [];
  now = () => this.at;
  after(delayMs: number, run: () => void) {
    this.due.push({ at: this.at + delayMs, run });
  }
  /** Moves time on, running each timer at the instant it is due. */
  advance(ms: number) {
    const until = this.at + ms;
    for (let next = this.nextDue(until); next; next = this.nextDue(until)) {
      this.due.splice(this.due.indexOf(next), 1);
      this.at = next.at;
      next.run();
    }
    this.at = until;
  }
  private nextDue(until: number) {
    return this.due.filter((t) => t.at <= until).sort((a, b) => a.at - b.at)[0];
  }
}

describe("TrailingThrottle", () => {
  it(`emits the first value at once and the latest of each ${ROOM_CURSOR_MIN_INTERVAL_MS} ms after it`, () => {
    const timers = new FakeTimers();
    const emitted: [number, number][] = [];
    const throttle = new TrailingThrottle<number>(
      ROOM_CURSOR_MIN_INTERVAL_MS,
      (value) => emitted.push([timers.at, value]),
      timers,
    );
    for (let value = 1; value <= 60; value++) {
      throttle.push(value); // one every millisecond
      timers.advance(1);
    }
    timers.advance(ROOM_CURSOR_MIN_INTERVAL_MS);
    expect(emitted).toEqual([
      [0, 1],
      [ROOM_CURSOR_MIN_INTERVAL_MS, ROOM_CURSOR_MIN_INTERVAL_MS],
      [2 * ROOM_CURSOR_MIN_INTERVAL_MS, 2 * ROOM_CURSOR_MIN_INTERVAL_MS],
      [3 * ROOM_CURSOR_MIN_INTERVAL_MS, 60], // the trailing send carries the last position
    ]);
    throttle.stop();
    throttle.push(61);
    timers.advance(ROOM_CURSOR_MIN_INTERVAL_MS);
    expect(emitted).toHaveLength(4);
  });
});

describe("Outbox", () => {
  it(`holds ${ROOM_CLIENT_QUEUE_MAX} frames, refuses the next with QUEUE_FULL, and resends only patches`, async () => {
    const outbox = new Outbox();
    const answered = outbox.holdPatch("p1", "patch-1");
    for (let i = 1; i < ROOM_CLIENT_QUEUE_MAX; i++) outbox.holdFrame(`frame-${i}`);
    expect(outbox.refusal()).toMatchObject({ code: "QUEUE_FULL" });
    const sent: string[] = [];
    outbox.drain((text) => sent.push(text));
    expect(sent).toEqual([
      "patch-1",
      ...Array.from({ length: ROOM_CLIENT_QUEUE_MAX - 1 }, (_, i) => `frame-${i + 1}`),
    ]);
    expect([outbox.size, outbox.refusal()]).toEqual([1, null]);
    expect(outbox.settle("p1", { version: 7 })).toBe(true);
    expect(outbox.settle("p1", { version: 7 })).toBe(false); // a second answer is ignored
    expect(await answered).toBe(7);
    const refused = outbox.holdPatch("p2", "patch-2");
    outbox.clear(new RoomError("CLOSED", "closed"));
    await expect(refused).rejects.toMatchObject({ code: "CLOSED" });
    expect(outbox.size).toBe(0);
  });
});

describe("StateMirror", () => {
  const patched = (version: number, value: unknown): PatchedFrame => ({
    type: "state.patched",
    version,
    by: "x",
    ops: [{ op: "set", path: "/shared/v", value: value as string }],
  });
  const welcome = (fields: Partial<WelcomeFrame>): WelcomeFrame => ({
    type: "welcome",
    connection_id: "c",
    user: { user_id: "u", name: null, anonymous: false, privileged: false },
    version: 0,
    state: null,
    patches: null,
    presence: [],
    history: [],
    ...fields,
  });

  it("applies patches in order and names everything else", () => {
    const mirror = new StateMirror();
    expect(mirror.welcome(welcome({ state: { shared: {}, users: {} } }))).toBe(true);
    expect(mirror.live(patched(1, "a"))).toBe("applied");
    expect(mirror.live(patched(1, "again"))).toBe("old");
    expect(mirror.live(patched(3, "c"))).toBe("gap");
    expect(mirror.state).toEqual({ shared: { v: "a" }, users: {} });
    const refused: PatchedFrame = {
      type: "state.patched",
      version: 2,
      by: "x",
      ops: [{ op: "set", path: "/shared/__proto__/x", value: 1 }],
    };
    expect(mirror.live(refused)).toBe("failed");
    expect([mirror.version, mirror.current]).toEqual([0, false]); // the next welcome is a full one
  });

  it("takes a catch-up only when it reaches the welcome's version", () => {
    const mirror = new StateMirror();
    mirror.welcome(welcome({ version: 1, state: { shared: { v: "a" }, users: {} } }));
    expect(
      mirror.welcome(welcome({ version: 3, patches: [patched(2, "b"), patched(3, "c")] })),
    ).toBe(true);
    expect([mirror.version, mirror.state.shared]).toEqual([3, { v: "c" }]);
    expect(mirror.welcome(welcome({ version: 5, patches: [patched(5, "e")] }))).toBe(false);
    expect([mirror.version, mirror.current]).toEqual([0, false]);
  });
});

describe("decodeFrame", () => {
  const nested = (levels: number) => `${"[".repeat(levels)}${"]".repeat(levels)}`;

  it(`accepts state nested up to ${ROOM_STATE_MAX_DEPTH} levels, as deep as a room's state can be`, () => {
    const frame = (depth: number) =>
      `{"type":"welcome","connection_id":"c","user":{"user_id":"u","name":null,"anonymous":false,"privileged":false},"version":1,"state":{"shared":${nested(depth - 1)}},"patches":null,"presence":[],"history":[]}`;
    expect(decodeFrame(frame(ROOM_STATE_MAX_DEPTH))).toMatchObject({ type: "welcome" });
    expect(decodeFrame(frame(ROOM_STATE_MAX_DEPTH + 1))).toMatchObject({
      code: "INVALID_SERVER_FRAME",
    });
  });

  it("refuses binary data, unknown types, unknown error codes and __proto__ keys", () => {
    const refused = [
      new Uint8Array([1, 2]),
      '{"type":"surprise"}',
      '{"type":"error","code":"WHATEVER","message":"m"}',
      '{"type":"presence.joined","user":{"user_id":"u","name":null,"anonymous":false,"connections":1,"data":{"__proto__":{"x":1}}}}',
    ].map((data) => decodeFrame(data));
    expect(refused.map((error) => (error as RoomError).code)).toEqual(
      Array(4).fill("INVALID_SERVER_FRAME"),
    );
  });
});

describe("ticketFetcher", () => {
  const fetcher = (response: Response) =>
    ticketFetcher({
      baseUrl: "https://troupe.test",
      creationId: "c",
      room: "r",
      fetch: async () => response,
    });
  const problem = (status: number, body: unknown) =>
    new Response(JSON.stringify(body), {
      status,
      headers: { "content-type": "application/problem+json" },
    });

  it("carries a refusal's code, status and detail, and trusts no more of its body than checks out", async () => {
    const refusals = await Promise.all(
      [
        problem(401, { code: "TOKEN_EXPIRED", detail: "The JWT has expired; sign in again." }),
        problem(403, { code: "MADE_UP", detail: 42 }),
        new Response("<html>bad gateway</html>", { status: 502 }),
        problem(401, {
          code: "INVALID_TOKEN",
          detail: "d".repeat(ROOM_CLIENT_PROBLEM_DETAIL_MAX_CHARS * 20),
        }),
      ].map((response) => fetcher(response)().catch((error: RoomError) => error)),
    );
    const seen = refusals.map((e) => e as RoomError);
    expect(seen.map((e) => [e.code, e.status, e.needsCredentials, e.message])).toEqual([
      ["TOKEN_EXPIRED", 401, true, "The JWT has expired; sign in again."],
      ["FORBIDDEN", 403, true, "The ticket request failed with HTTP 403."],
      ["TICKET_FAILED", 502, false, "The ticket request failed with HTTP 502."],
      ["INVALID_TOKEN", 401, true, "d".repeat(ROOM_CLIENT_PROBLEM_DETAIL_MAX_CHARS)],
    ]);
  });

  it("refuses an answer that is not { ticket }", async () => {
    const answer = new Response(JSON.stringify({ ticket: 7 }), { status: 201 });
    await expect(fetcher(answer)()).rejects.toMatchObject({ code: "TICKET_FAILED", status: 201 });
  });
});
