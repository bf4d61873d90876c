// A patch resent after a reconnect (its ack lost with the old connection) is applied once: the
// room remembers accepted patch ids per user in its SQLite and answers a repeat with the first
// ack. Bounded per user and per room.
import { evictDurableObject, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import * as v from "valibot";
import { describe, expect, it } from "vitest";
import type { RoomDO } from "../src/actors/room/room-do.ts";
import { RoomStore } from "../src/actors/room/store.ts";
import {
  ROOM_MESSAGES_PER_SECOND,
  ROOM_PATCH_IDS_MAX,
  ROOM_PATCH_IDS_PER_USER_MAX,
} from "../src/shared/limits.ts";
import { type PatchOp, ServerFrameSchema } from "../src/shared/schemas/room.ts";
import { api, bearer, createCreation, userToken } from "./helpers.ts";
import { connectRoom, type TestSocket } from "./room-helpers.ts";

const append = (value: string): PatchOp[] => [{ op: "append", path: "/shared/log", value }];

function patch(socket: TestSocket, id: string, ops: PatchOp[]) {
  socket.send({ type: "state.patch", id, ops });
}

/** The board's version and its shared log, as a reader gets them over REST. */
async function board(creationId: string) {
  const response = await api(`/v1/rooms/${creationId}/board`, {
    headers: await bearer({ sub: "reader" }),
  });
  const { version, state } = (await response.json()) as {
    version: number;
    state: { shared: { log?: string[] } };
  };
  return { version, log: state.shared.log };
}

describe("patch ids", () => {
  it("answers a patch resent on a new connection with its first ack and applies it once", async () => {
    const { id } = await createCreation("owner-pid-1");
    const watcher = await connectRoom(id, "board", { token: await userToken({ sub: "watcher" }) });
    const first = await connectRoom(id, "board", { token: await userToken({ sub: "rhea" }) });
    patch(first, "stroke-1", append("first"));
    expect(await first.waitFor("ack")).toEqual([{ type: "ack", id: "stroke-1", version: 1 }]);
    await first.close();
    const again = await connectRoom(id, "board", { token: await userToken({ sub: "rhea" }) });
    patch(again, "stroke-1", append("first"));
    patch(again, "stroke-2", append("second"));
    expect(await again.waitFor("ack", 2)).toEqual([
      { type: "ack", id: "stroke-1", version: 1 },
      { type: "ack", id: "stroke-2", version: 2 },
    ]);
    // stroke-2's broadcast comes after anything stroke-1's resend could have caused.
    const patched = await watcher.waitFor("state.patched", 2);
    expect(patched.map((frame) => frame.version)).toEqual([1, 2]);
    expect(await board(id)).toEqual({ version: 2, log: ["first", "second"] });
    await Promise.all([watcher.close(), again.close()]);
  });

  it("remembers accepted ids across eviction", async () => {
    const { id } = await createCreation("owner-pid-2");
    const before = await connectRoom(id, "board", { token: await userToken({ sub: "ivo" }) });
    patch(before, "p-1", append("once"));
    await before.waitFor("ack");
    await before.close();
    await evictDurableObject(env.ROOM.getByName(`${id}:board`));
    const after = await connectRoom(id, "board", { token: await userToken({ sub: "ivo" }) });
    patch(after, "p-1", append("once"));
    expect(await after.waitFor("ack")).toEqual([{ type: "ack", id: "p-1", version: 1 }]);
    expect(after.of("state.patched")).toEqual([]);
    expect(await board(id)).toEqual({ version: 1, log: ["once"] });
    await after.close();
  });

  it("refuses an id reused for another patch with PATCH_ID_REUSED and changes nothing", async () => {
    const { id } = await createCreation("owner-pid-3");
    const socket = await connectRoom(id, "board", { token: await userToken({ sub: "uma" }) });
    patch(socket, "same", append("a"));
    await socket.waitFor("ack");
    patch(socket, "same", append("b"));
    const [error] = await socket.waitFor("error");
    expect([error?.id, error?.code]).toEqual(["same", "PATCH_ID_REUSED"]);
    expect(socket.of("ack")).toHaveLength(1);
    expect(await board(id)).toEqual({ version: 1, log: ["a"] });
    await socket.close();
  });

  it("remembers only accepted patches, and each user's ids apart", async () => {
    const { id } = await createCreation("owner-pid-4");
    const ada = await connectRoom(id, "board", { token: await userToken({ sub: "ada" }) });
    const bo = await connectRoom(id, "board", { token: await userToken({ sub: "bo" }) });
    ada.send({
      type: "state.patch",
      id: "p",
      ops: [{ op: "set", path: "/users/bo/x", value: 1 }],
    });
    expect((await ada.waitFor("error"))[0]).toMatchObject({ id: "p", code: "FORBIDDEN_PATH" });
    patch(ada, "p", append("ada")); // the refused patch was never recorded: this one is new
    expect((await ada.waitFor("ack"))[0]).toEqual({ type: "ack", id: "p", version: 1 });
    patch(bo, "p", append("bo")); // the same id from another user is another patch
    expect((await bo.waitFor("ack"))[0]).toEqual({ type: "ack", id: "p", version: 2 });
    expect(await board(id)).toEqual({ version: 2, log: ["ada", "bo"] });
    await Promise.all([ada.close(), bo.close()]);
  });

  it(`forgets a user's ids past ${ROOM_PATCH_IDS_PER_USER_MAX}, and the room's past ${ROOM_PATCH_IDS_MAX}`, async () => {
    const { id } = await createCreation("owner-pid-5");
    const stub = env.ROOM.getByName(`${id}:bounds`);
    await runInDurableObject(stub, (_room: RoomDO, state) => {
      const store = new RoomStore(state.storage);
      const never = (): never => {
        throw new Error("state too large");
      };
      const ops: PatchOp[] = [{ op: "set", path: "/shared/x", value: 1 }];
      const remember = (userId: string, patchId: string) =>
        store.applyPatch(ops, userId, never, { userId, id: patchId });
      for (let i = 0; i <= ROOM_PATCH_IDS_PER_USER_MAX; i++) remember("kim", `k${i}`);
      expect(store.acceptedPatch({ userId: "kim", id: "k0" }, ops)).toBeNull();
      expect(store.acceptedPatch({ userId: "kim", id: "k1" }, ops)).toEqual({
        version: 2,
        sameOps: true,
      });
      // Many users, a few patches each: the room keeps its last ROOM_PATCH_IDS_MAX in all.
      for (let i = 0; i < ROOM_PATCH_IDS_MAX; i++) remember(`anon:${i}`, "p");
      expect(
        store.acceptedPatch({ userId: "kim", id: `k${ROOM_PATCH_IDS_PER_USER_MAX}` }, ops),
      ).toBeNull();
      expect(store.acceptedPatch({ userId: "anon:0", id: "p" }, ops)).toMatchObject({
        sameOps: true,
      });
      const { rows } = state.storage.sql
        .exec<{ rows: number }>("SELECT COUNT(*) AS rows FROM patch_ids")
        .one();
      expect(rows).toBe(ROOM_PATCH_IDS_MAX);
    });
  });

  it("names the patch in a rate refusal, so its sender can settle it, and applies nothing", async () => {
    const { id } = await createCreation("owner-pid-6");
    const socket = await connectRoom(id, "board", { token: await userToken({ sub: "rae" }) });
    for (let i = 0; i < ROOM_MESSAGES_PER_SECOND; i++) {
      socket.send({ type: "chat.send", text: `m${i}` });
    }
    patch(socket, "late", append("late"));
    const [error] = await socket.waitFor("error");
    expect([error?.id, error?.code]).toEqual(["late", "RATE_LIMITED"]);
    expect(socket.of("chat.message")).toHaveLength(ROOM_MESSAGES_PER_SECOND);
    expect(socket.of("ack")).toEqual([]);
    expect(await board(id)).toEqual({ version: 0, log: undefined });
    await socket.close();
  });

  it("echoes only a well-formed patch id, so every error frame is a valid server frame", async () => {
    const { id } = await createCreation("owner-pid-7");
    const socket = await connectRoom(id, "board", { token: await userToken({ sub: "eli" }) });
    socket.send({ type: "state.patch", id: "x".repeat(65), ops: [] });
    socket.send({ type: "state.patch", id: 7, ops: [] });
    socket.send({ type: "state.patch", id: "", ops: [] });
    socket.send('{"type":"state.patch","id":"fine","ops":[],"__proto__":{"id":"forged"}}');
    const errors = await socket.waitFor("error", 4);
    expect(errors.map((e) => [e.id ?? null, e.code])).toEqual([
      [null, "INVALID_FRAME"],
      [null, "INVALID_FRAME"],
      [null, "INVALID_FRAME"],
      ["fine", "INVALID_FRAME"],
    ]);
    for (const frame of socket.frames) {
      expect(v.safeParse(ServerFrameSchema, frame).success, JSON.stringify(frame)).toBe(true);
    }
    await socket.close();
  });
});
