// Room limits that had no test: the timer cap and cancelling a timer that is not running, a
// reconnect whose `since` is older than the patch log reaches back, and the tickets a room keeps.
import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import type { RoomDO } from "../src/actors/room/room-do.ts";
import { RoomStore } from "../src/actors/room/store.ts";
import { ROOM_PATCH_LOG_MAX, ROOM_TICKETS_MAX, ROOM_TIMERS_MAX } from "../src/shared/limits.ts";
import { api, bearer, createCreation, jsonInit, userToken } from "./helpers.ts";
import { connectRoom } from "./room-helpers.ts";

describe("timers", () => {
  it(`runs at most ROOM_TIMERS_MAX (${ROOM_TIMERS_MAX}) timers, and says when a cancelled one is not running`, async () => {
    const { id } = await createCreation("timer-owner");
    const owner = await connectRoom(id, "clock", {
      token: await userToken({ sub: "timer-owner" }),
    });
    for (let i = 0; i < ROOM_TIMERS_MAX; i++) {
      owner.send({ type: "timer.start", name: `t${i}`, seconds: 60 });
    }
    await owner.waitFor("timer.started", ROOM_TIMERS_MAX);
    owner.send({ type: "timer.start", name: "one-too-many", seconds: 60 });
    owner.send({ type: "timer.start", name: "t0", seconds: 120 }); // restarting is not a new timer
    owner.send({ type: "timer.cancel", name: "never-started" });
    owner.send({ type: "timer.cancel", name: "t1" });
    await owner.waitFor("timer.cancelled");
    expect(owner.of("error").map((e) => e.code)).toEqual(["TIMER_LIMIT", "TIMER_NOT_FOUND"]);
    expect(owner.of("timer.started")).toHaveLength(ROOM_TIMERS_MAX + 1);
    expect(owner.of("timer.started").map((frame) => frame.name)).toEqual([
      ...Array.from({ length: ROOM_TIMERS_MAX }, (_, i) => `t${i}`),
      "t0",
    ]);
    expect(owner.of("timer.cancelled")).toEqual([{ type: "timer.cancelled", name: "t1" }]);
    await owner.close();
  });
});

describe("catching up", () => {
  it(`sends the full state to a reconnect older than the last ${ROOM_PATCH_LOG_MAX} patches`, async () => {
    const { id } = await createCreation("log-owner");
    const owner = await bearer({ sub: "log-owner" });
    const total = ROOM_PATCH_LOG_MAX + 2;
    const answers = await Promise.all(
      Array.from({ length: total }, () =>
        api(
          `/v1/rooms/${id}/long/state`,
          jsonInit("POST", { ops: [{ op: "increment", path: "/shared/n" }] }, owner),
        ),
      ),
    );
    expect(answers.every((answer) => answer.status === 200)).toBe(true);
    const token = await userToken({ sub: "late-reader" });
    // Version 1 left the log: the client gets the whole state instead of patches.
    const stale = await connectRoom(id, "long", { token, since: 1 });
    expect(stale.welcome()).toMatchObject({ version: total, patches: null });
    expect((stale.welcome().state as { shared: { n: number } }).shared.n).toBe(total);
    // Version 2 is still in it: exactly the patches after it.
    const recent = await connectRoom(id, "long", { token, since: 2 });
    expect(recent.welcome().state).toBeNull();
    expect(recent.welcome().patches?.map((patch) => patch.version)).toEqual(
      Array.from({ length: total - 2 }, (_, i) => i + 3),
    );
    await Promise.all([stale.close(), recent.close()]);
  });
});

describe("tickets", () => {
  it(`keeps the last ${ROOM_TICKETS_MAX} unredeemed tickets, forgetting the oldest`, async () => {
    const stub = env.ROOM.getByName("tickets-room:lobby");
    await runInDurableObject(stub, (_room: RoomDO, state) => {
      const store = new RoomStore(state.storage);
      const visitor = (i: number) => ({
        user_id: `anon:${i}`,
        name: null,
        anonymous: true,
        privileged: false,
      });
      const tickets = Array.from(
        { length: ROOM_TICKETS_MAX + 1 },
        (_, i) => store.issueTicket(visitor(i)).ticket,
      );
      const { rows } = state.storage.sql
        .exec<{ rows: number }>("SELECT COUNT(*) AS rows FROM tickets")
        .one();
      expect(rows).toBe(ROOM_TICKETS_MAX);
      expect(store.redeemTicket(tickets[0] ?? "")).toBeNull();
      expect(store.redeemTicket(tickets[1] ?? "")).toEqual(visitor(1));
      expect(store.redeemTicket(tickets[ROOM_TICKETS_MAX] ?? "")).toEqual(
        visitor(ROOM_TICKETS_MAX),
      );
      expect(store.redeemTicket(tickets[1] ?? "")).toBeNull(); // single use
    });
  });
});
