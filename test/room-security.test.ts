// Hostile room input: prototype paths, broken percent-encoding, deep values and floods. Each
// case was found by trying the room as an attacker; each must be refused with one clear answer
// and leave the room, the isolate and every other route as they were.
import { describe, expect, it } from "vitest";
import {
  JSON_MAX_DEPTH,
  ROOM_MESSAGES_PER_SECOND,
  ROOM_VIOLATIONS_MAX,
} from "../src/shared/limits.ts";
import { applyOps, emptyRoomState, PatchError } from "../src/shared/room-state.ts";
import { api, bearer, createCreation, jsonInit, problemOf, userToken } from "./helpers.ts";
import { connectRoom, type TestSocket } from "./room-helpers.ts";

const PROTOTYPE_PATHS = [
  "/shared/__proto__/polluted",
  "/shared/a/__proto__/polluted",
  "/shared/constructor/prototype/polluted",
  "/shared/%5F%5Fproto%5F%5F/polluted", // percent-encoded __proto__
  "/users/__proto__/polluted",
];
const MALFORMED_PATHS = ["/shared/%", "/shared/%E0%A4%A", "/shared/%zz"];

const prototypeNames = () => Object.getOwnPropertyNames(Object.prototype).sort();

async function roomVersion(creationId: string, room: string, sub: string): Promise<number> {
  const response = await api(`/v1/rooms/${creationId}/${room}`, { headers: await bearer({ sub }) });
  return ((await response.json()) as { version: number }).version;
}

function patch(socket: TestSocket, id: string, path: string, value: unknown = "yes") {
  socket.send({ type: "state.patch", id, ops: [{ op: "set", path, value }] });
}

describe("prototype keys", () => {
  it("refuses every prototype path from a participant with INVALID_PATCH and pollutes nothing", async () => {
    const before = prototypeNames();
    const { id } = await createCreation("owner-sec-1");
    const socket = await connectRoom(id, "poll", { token: await userToken({ sub: "mallory" }) });
    for (const [i, path] of PROTOTYPE_PATHS.entries()) patch(socket, `p${i}`, path);
    const errors = await socket.waitFor("error", PROTOTYPE_PATHS.length);
    expect(errors.map((e) => [e.id, e.code])).toEqual(
      PROTOTYPE_PATHS.map((_, i) => [`p${i}`, "INVALID_PATCH"]),
    );
    expect(socket.of("ack")).toEqual([]);
    // The frame carries the same problem body an HTTP refusal would, with an id to quote.
    expect(errors[0]?.problem).toEqual({
      type: "/docs#error-INVALID_PATCH",
      title: "The patch cannot be applied to the room's state",
      status: 400,
      detail: errors[0]?.message,
      code: "INVALID_PATCH",
      request_id: expect.stringMatching(/^[0-9a-f-]{36}$/),
    });
    expect(prototypeNames()).toEqual(before);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(await roomVersion(id, "poll", "mallory")).toBe(0);
    // The rest of the Worker still answers.
    expect((await api("/health")).status).toBe(200);
    expect((await api("/v1/me", { headers: await bearer({ sub: "bob" }) })).status).toBe(200);
    await socket.close();
  });

  it("refuses a user whose id is __proto__ writing their own slot, as any other prototype path", async () => {
    const { id } = await createCreation("owner-sec-2");
    const socket = await connectRoom(id, "poll", { token: await userToken({ sub: "__proto__" }) });
    patch(socket, "own", "/users/__proto__/polluted");
    const [error] = await socket.waitFor("error");
    expect([error?.id, error?.code]).toEqual(["own", "INVALID_PATCH"]);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    await socket.close();
  });

  it("refuses a __proto__ key inside a value with INVALID_FRAME", async () => {
    const { id } = await createCreation("owner-sec-3");
    const socket = await connectRoom(id, "poll", { token: await userToken({ sub: "mallory" }) });
    socket.send(
      '{"type":"state.patch","id":"v","ops":[{"op":"set","path":"/shared/x","value":{"__proto__":{"polluted":1}}}]}',
    );
    socket.send('{"type":"presence.set","data":{"__proto__":{"polluted":1}}}');
    const errors = await socket.waitFor("error", 2);
    expect(errors.map((e) => [e.id ?? null, e.code])).toEqual([
      ["v", "INVALID_FRAME"],
      [null, "INVALID_FRAME"],
    ]);
    expect(await roomVersion(id, "poll", "mallory")).toBe(0);
    await socket.close();
  });

  it("refuses prototype and malformed paths in privileged REST patches with 400 INVALID_PATCH", async () => {
    const { id } = await createCreation("owner-sec-4");
    for (const path of [...PROTOTYPE_PATHS, ...MALFORMED_PATHS]) {
      const response = await api(
        `/v1/rooms/${id}/board/state`,
        jsonInit(
          "POST",
          { ops: [{ op: "set", path, value: 1 }] },
          await bearer({ sub: "owner-sec-4" }),
        ),
      );
      expect([path, response.status, (await problemOf(response)).code]).toEqual([
        path,
        400,
        "INVALID_PATCH",
      ]);
    }
    expect(await roomVersion(id, "board", "owner-sec-4")).toBe(0);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it("keeps the client SDK's mirror from walking into a prototype", () => {
    const state = emptyRoomState();
    for (const path of PROTOTYPE_PATHS) {
      expect(() => applyOps(state, [{ op: "set", path, value: "yes" }])).toThrow(PatchError);
    }
    expect(applyOps(state, [{ op: "increment", path: "/shared/toString" }]).shared).toEqual({
      toString: 1,
    });
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});

describe("malformed input", () => {
  it("answers a malformed percent-encoding in a path with one INVALID_PATCH frame each", async () => {
    const { id } = await createCreation("owner-sec-5");
    const socket = await connectRoom(id, "pct", { token: await userToken({ sub: "pat" }) });
    for (const [i, path] of MALFORMED_PATHS.entries()) patch(socket, `m${i}`, path);
    patch(socket, "good", "/shared/%C3%A9t%C3%A9"); // "été": well-formed, accepted
    const [ack] = await socket.waitFor("ack");
    expect(ack).toMatchObject({ id: "good", version: 1 });
    expect(socket.of("error").map((e) => [e.id, e.code])).toEqual(
      MALFORMED_PATHS.map((_, i) => [`m${i}`, "INVALID_PATCH"]),
    );
    await socket.close();
  });

  it(`refuses a value nested deeper than ${JSON_MAX_DEPTH} levels with INVALID_FRAME`, async () => {
    const { id } = await createCreation("owner-sec-6");
    const socket = await connectRoom(id, "deep", { token: await userToken({ sub: "dee" }) });
    const deep = `${"[".repeat(JSON_MAX_DEPTH + 1)}${"]".repeat(JSON_MAX_DEPTH + 1)}`;
    const fits = `${"[".repeat(JSON_MAX_DEPTH - 1)}${"]".repeat(JSON_MAX_DEPTH - 1)}`;
    socket.send(
      `{"type":"state.patch","id":"deep","ops":[{"op":"set","path":"/shared/d","value":${deep}}]}`,
    );
    socket.send(
      `{"type":"state.patch","id":"fits","ops":[{"op":"set","path":"/shared/d","value":${fits}}]}`,
    );
    const [ack] = await socket.waitFor("ack");
    expect(ack).toMatchObject({ id: "fits", version: 1 });
    expect(socket.of("error").map((e) => [e.id, e.code])).toEqual([["deep", "INVALID_FRAME"]]);
    await socket.close();
  });
});

describe("floods", () => {
  it(`closes a connection with 1008 after ${ROOM_VIOLATIONS_MAX} refused frames instead of answering each`, async () => {
    const { id } = await createCreation("owner-sec-7");
    const flooder = await connectRoom(id, "flood", { token: await userToken({ sub: "flo" }) });
    const FLOOD_FRAMES = 10_000;
    for (let i = 0; i < FLOOD_FRAMES; i++) flooder.send({ type: "chat.send", text: `m${i}` });
    expect(await flooder.closedByRoom()).toEqual({
      code: 1008,
      reason: `more than ${ROOM_VIOLATIONS_MAX} refused frames`,
    });
    expect(flooder.of("chat.message")).toHaveLength(ROOM_MESSAGES_PER_SECOND);
    const errors = flooder.of("error");
    expect(errors).toHaveLength(ROOM_VIOLATIONS_MAX);
    expect(errors.every((e) => e.code === "RATE_LIMITED")).toBe(true);
    // The room itself is fine: a newcomer gets the flooder's accepted messages, nothing more.
    const newcomer = await connectRoom(id, "flood", { token: await userToken({ sub: "nel" }) });
    expect(newcomer.welcome().history).toHaveLength(ROOM_MESSAGES_PER_SECOND);
    await newcomer.close();
  });
});
