// Cursors never crowd out patches: a whiteboard sends one per pointer move, far above the
// frame rate limit, and every stroke's patch must still be acknowledged. Over-frequent cursors
// are dropped silently; only a flood past ROOM_CURSOR_FRAMES_PER_SECOND_MAX counts as refused.
import { describe, expect, it } from "vitest";
import { clock, setTestClock } from "../src/shared/clock.ts";
import {
  ROOM_CURSOR_FRAME_MAX_BYTES,
  ROOM_CURSOR_FRAMES_PER_SECOND_MAX,
  ROOM_MESSAGES_PER_SECOND,
  ROOM_VIOLATIONS_MAX,
} from "../src/shared/limits.ts";
import { createCreation, userToken } from "./helpers.ts";
import { connectRoom } from "./room-helpers.ts";

const STEP_MS = 4; // a pointer-move every 4 ms
const STROKE_MS = 100; // a finished stroke every 100 ms
const STROKES = 20; // two seconds of drawing

describe("cursors", () => {
  it("acknowledges every patch of two seconds' drawing with a cursor frame every 4 ms", async () => {
    const { id } = await createCreation("owner-cur-1");
    const drawer = await connectRoom(id, "board", { token: await userToken({ sub: "dora" }) });
    const watcher = await connectRoom(id, "board", { token: await userToken({ sub: "wes" }) });
    const cursorsPerStroke = STROKE_MS / STEP_MS;
    // Far more frames a second than the rate limit allows, had cursors counted against it.
    expect((cursorsPerStroke + 1) * (1000 / STROKE_MS)).toBeGreaterThan(ROOM_MESSAGES_PER_SECOND);
    for (let stroke = 1; stroke <= STROKES; stroke++) {
      // The room reads the clock when it handles the frames: a stroke's worth of time passes,
      // its cursors arrive together, and its patch's ack (awaited) says they were all handled.
      setTestClock(clock.now() + STROKE_MS);
      for (let step = 0; step < cursorsPerStroke; step++) {
        drawer.send({ type: "cursor", x: stroke, y: step });
      }
      drawer.send({
        type: "state.patch",
        id: `stroke-${stroke}`,
        ops: [{ op: "append", path: "/users/dora/strokes", value: [stroke] }],
      });
      await drawer.waitFor("ack", stroke);
    }
    expect(drawer.of("ack").map((ack) => [ack.id, ack.version])).toEqual(
      Array.from({ length: STROKES }, (_, i) => [`stroke-${i + 1}`, i + 1]),
    );
    expect(drawer.of("error")).toEqual([]);
    const patched = await watcher.waitFor("state.patched", STROKES);
    expect(patched.map((frame) => frame.version)).toEqual(
      Array.from({ length: STROKES }, (_, i) => i + 1),
    );
    // Each stroke's cursors came in one bunch after a pause, so its first one was relayed, with
    // the sender's id. (How many more depends on the real time the bunch took to handle; the
    // exact throttle is proved on arrival times in room-guards.test.ts.)
    const relayed = watcher.of("cursor");
    const firsts = Array.from({ length: STROKES }, (_, i) =>
      relayed.find((frame) => frame.x === i + 1),
    );
    expect(firsts).toEqual(
      Array.from({ length: STROKES }, (_, i) => ({
        type: "cursor",
        user_id: "dora",
        x: i + 1,
        y: 0,
      })),
    );
    expect(drawer.ws.readyState).toBe(WebSocket.OPEN);
    await Promise.all([drawer.close(), watcher.close()]);
  });

  it(`refuses cursor frames only past ${ROOM_CURSOR_FRAMES_PER_SECOND_MAX} a second, and closes a flood like any other`, async () => {
    const { id } = await createCreation("owner-cur-2");
    const flooder = await connectRoom(id, "board", { token: await userToken({ sub: "flo" }) });
    for (let i = 0; i < ROOM_CURSOR_FRAMES_PER_SECOND_MAX + ROOM_VIOLATIONS_MAX; i++) {
      flooder.send({ type: "cursor", x: i, y: i });
    }
    expect(await flooder.closedByRoom()).toEqual({
      code: 1008,
      reason: `more than ${ROOM_VIOLATIONS_MAX} refused frames`,
    });
    const errors = flooder.of("error");
    expect(errors).toHaveLength(ROOM_VIOLATIONS_MAX);
    expect(errors.every((error) => error.code === "RATE_LIMITED")).toBe(true);
  });

  it("answers an invalid cursor frame with INVALID_FRAME", async () => {
    const { id } = await createCreation("owner-cur-3");
    const socket = await connectRoom(id, "board", { token: await userToken({ sub: "ivy" }) });
    socket.send({ type: "cursor", x: "left", y: 1 });
    socket.send({ type: "chat.send", text: "after" }); // comes back after the cursor's answer
    await socket.waitFor("chat.message");
    expect(socket.of("error").map((error) => error.code)).toEqual(["INVALID_FRAME"]);
    await socket.close();
  });

  it(`counts a cursor frame padded past ${ROOM_CURSOR_FRAME_MAX_BYTES} bytes against the frame rate`, async () => {
    const { id } = await createCreation("owner-cur-4");
    const padder = await connectRoom(id, "board", { token: await userToken({ sub: "pad" }) });
    const padded = { type: "cursor", x: 1, y: 1, pad: "p".repeat(ROOM_CURSOR_FRAME_MAX_BYTES) };
    const longest = { type: "cursor", x: -Number.MAX_VALUE, y: -Number.MAX_VALUE };
    expect(JSON.stringify(longest).length).toBeLessThanOrEqual(ROOM_CURSOR_FRAME_MAX_BYTES);
    for (let i = 0; i < ROOM_MESSAGES_PER_SECOND; i++) padder.send(padded);
    padder.send({ type: "chat.send", text: "over the rate" });
    const [error] = await padder.waitFor("error");
    expect(error?.code).toBe("RATE_LIMITED");
    expect(padder.of("error")).toHaveLength(1);
    expect(padder.of("chat.message")).toEqual([]);
    await padder.close();
  });
});
