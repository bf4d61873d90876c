// The client SDK against real rooms (through the test Worker): what it tells the app (one
// `state` event per change, `status`, `error` with a code), what it holds while disconnected
// and resends after a reconnect, and how it stops on refused credentials.
import { describe, expect, it } from "vitest";
import { RoomError } from "../src/client/errors.ts";
import type { StateEvent } from "../src/client/events.ts";
import { clock, setTestClock } from "../src/shared/clock.ts";
import {
  ROOM_CHAT_MAX_CHARS,
  ROOM_CLIENT_HISTORY_MAX,
  ROOM_CLIENT_QUEUE_MAX,
  ROOM_FRAME_MAX_BYTES,
  ROOM_MESSAGES_PER_SECOND,
  ROOM_PRESENCE_MAX_BYTES,
} from "../src/shared/limits.ts";
import { api, bearer, createCreation, userToken } from "./helpers.ts";
import { openClient, statusOf, type TestClient, ticketsFor } from "./room-client-helpers.ts";
import { connectRoom } from "./room-helpers.ts";

const increment = [{ op: "increment" as const, path: "/shared/n" }];

async function snapshot(creationId: string, room: string) {
  const response = await api(`/v1/rooms/${creationId}/${room}`, {
    headers: await bearer({ sub: "reader" }),
  });
  return (await response.json()) as { version: number; state: { shared: Record<string, unknown> } };
}

/** partysocket's own flag: false once the client has stopped retrying. */
const retrying = ({ client }: TestClient) =>
  (Reflect.get(client, "socket") as { shouldReconnect: boolean }).shouldReconnect;

async function connected(creationId: string, room: string, user: string): Promise<TestClient> {
  const test = openClient(creationId, room, user);
  await statusOf(test.client, "connected");
  return test;
}

describe("what the SDK tells the app", () => {
  it("fires one state event for the welcome, each live patch and a reconnect's catch-up", async () => {
    const { id } = await createCreation("owner-sdk-1");
    const a = await connected(id, "board", "ann");
    const events: Pick<StateEvent, "reason" | "version">[] = [];
    a.client.on("state", ({ reason, version }) => events.push({ reason, version }));
    const b = await connected(id, "board", "bob");
    await b.client.patch(increment);
    await b.client.patch(increment);
    await expect.poll(() => a.client.version).toBe(2);
    // A misses version 3 while away, and catches up with it on the next welcome.
    a.network.hold();
    a.client.reconnect();
    await b.client.patch(increment);
    a.network.release();
    await statusOf(a.client, "connected");
    // A reconnect with nothing missed changes nothing, and fires nothing.
    a.client.reconnect();
    await statusOf(a.client, "connected");
    await b.client.patch(increment); // a later event that must come after any stray one
    await expect.poll(() => a.client.version).toBe(4);
    expect(events).toEqual([
      { reason: "patch", version: 1 },
      { reason: "patch", version: 2 },
      { reason: "resync", version: 3 },
      { reason: "patch", version: 4 },
    ]);
    expect(a.client.state).toEqual(b.client.state);
    expect(a.statuses).toEqual([
      "connected",
      "reconnecting",
      "connected",
      "reconnecting",
      "connected",
    ]);
    a.client.close();
    b.client.close();
  });

  it("reports a frame that is not the protocol as INVALID_SERVER_FRAME and applies nothing", async () => {
    const { id } = await createCreation("owner-sdk-2");
    const a = await connected(id, "board", "ann");
    const before = a.client.state;
    const deep = `${"[".repeat(200)}${"]".repeat(200)}`;
    a.network.inject("not json");
    a.network.inject(JSON.stringify({ type: "state.patched", version: 1, ops: "all", by: "x" }));
    a.network.inject(JSON.stringify({ type: "welcome", user: null }));
    a.network.inject(JSON.stringify({ type: "ack", id: "x", version: -1 }));
    a.network.inject(`{"type":"server.message","at":"now","data":${deep}}`);
    expect(a.errors.map((error) => error.code)).toEqual(Array(5).fill("INVALID_SERVER_FRAME"));
    expect(a.errors[1]?.message).toBe(
      'The room sent an invalid frame (ops: Invalid type: Expected Array but received "all").',
    );
    expect(a.client.version).toBe(0);
    expect(a.client.state).toBe(before);
    expect(await a.client.patch(increment)).toBe(1); // and the client carries on
    a.client.close();
  });

  it(`keeps the last ${ROOM_CLIENT_HISTORY_MAX} chat messages, dropping the oldest`, async () => {
    const { id } = await createCreation("owner-sdk-3");
    const a = await connected(id, "chat", "ann");
    for (let i = 0; i <= ROOM_CLIENT_HISTORY_MAX; i++) {
      a.network.inject(
        JSON.stringify({ type: "chat.message", id: `m${i}`, user_id: "x", text: `${i}`, at: "t" }),
      );
    }
    expect(a.client.history).toHaveLength(ROOM_CLIENT_HISTORY_MAX);
    expect(a.client.history[0]?.id).toBe("m1");
    expect(a.client.history.at(-1)?.id).toBe(`m${ROOM_CLIENT_HISTORY_MAX}`);
    a.client.close();
  });

  it("refuses a frame the room would refuse at the call, without sending it", async () => {
    const { id } = await createCreation("owner-sdk-4");
    const a = await connected(id, "board", "ann");
    await expect(a.client.patch([])).rejects.toMatchObject({ code: "INVALID_FRAME" });
    await expect(
      a.client.patch([{ op: "set", path: "/shared/big", value: "x".repeat(ROOM_FRAME_MAX_BYTES) }]),
    ).rejects.toMatchObject({ code: "FRAME_TOO_LARGE" });
    expect(() => a.client.chat("x".repeat(ROOM_CHAT_MAX_CHARS + 1))).toThrow(RoomError);
    expect(() => a.client.cursor(Number.NaN, 1)).toThrow(RoomError);
    expect(a.network.sent).toEqual([]);
    a.client.close();
  });

  it("rejects a patch the room refused for its rate, and holds nothing for it", async () => {
    const { id } = await createCreation("owner-sdk-14");
    const a = await connected(id, "board", "ann");
    for (let i = 0; i < ROOM_MESSAGES_PER_SECOND; i++) a.client.chat(`message ${i}`);
    const refused = a.client.patch(increment);
    await expect(refused).rejects.toMatchObject({ name: "RoomError", code: "RATE_LIMITED" });
    const [sent] = a.network.sentOf("state.patch");
    expect(a.errors.map((e) => [e.code, e.id])).toEqual([["RATE_LIMITED", sent?.id]]);
    expect(Reflect.get(Reflect.get(a.client, "outbox"), "size")).toBe(0);
    setTestClock(clock.now() + 1000); // the next second
    expect(await a.client.patch(increment)).toBe(1);
    a.client.close();
  });
});

describe("disconnected", () => {
  it(`holds up to ${ROOM_CLIENT_QUEUE_MAX} frames while away, refuses more with QUEUE_FULL, and sends them in order on return`, async () => {
    const { id } = await createCreation("owner-sdk-5");
    const a = await connected(id, "board", "ann");
    a.network.hold();
    a.client.reconnect();
    const patches: Promise<number>[] = [];
    for (let i = 0; i < ROOM_CLIENT_QUEUE_MAX; i++) {
      if (i % 2 === 0) a.client.chat(`message ${i}`);
      else patches.push(a.client.patch([{ op: "append", path: "/shared/log", value: i }]));
    }
    await expect(a.client.patch(increment)).rejects.toMatchObject({
      name: "RoomError",
      code: "QUEUE_FULL",
    });
    expect(() => a.client.chat("one too many")).toThrow(
      expect.objectContaining({ code: "QUEUE_FULL" }),
    );
    expect(a.network.sent).toEqual([]); // nothing left while there was no connection
    a.network.release();
    expect(await Promise.all(patches)).toEqual(
      Array.from({ length: ROOM_CLIENT_QUEUE_MAX / 2 }, (_, i) => i + 1),
    );
    expect(a.network.sent.map((frame) => frame.type)).toEqual(
      Array.from({ length: ROOM_CLIENT_QUEUE_MAX }, (_, i) =>
        i % 2 === 0 ? "chat.send" : "state.patch",
      ),
    );
    expect((await snapshot(id, "board")).state.shared.log).toEqual(
      Array.from({ length: ROOM_CLIENT_QUEUE_MAX / 2 }, (_, i) => 2 * i + 1),
    );
    expect(a.errors).toEqual([]); // the whole queue fits in the room's rate limit
    a.client.close();
  });

  it("resends a patch whose ack was lost under its id, and the room applies it once", async () => {
    const { id } = await createCreation("owner-sdk-6");
    const a = await connected(id, "board", "ann");
    a.network.dropIncoming = (frame) => frame.type === "ack";
    const answered = a.client.patch(increment);
    await expect.poll(() => a.client.version).toBe(1); // applied: its broadcast came back
    a.network.dropIncoming = null;
    a.client.reconnect();
    expect(await answered).toBe(1);
    const sent = a.network.sentOf("state.patch");
    expect(sent).toHaveLength(2);
    expect(sent[1]?.id).toBe(sent[0]?.id);
    expect(await snapshot(id, "board")).toMatchObject({ version: 1, state: { shared: { n: 1 } } });
    a.client.close();
  });

  it("rejects what is held with CLOSED on close(), and takes nothing after", async () => {
    const { id } = await createCreation("owner-sdk-7");
    const a = await connected(id, "board", "ann");
    a.network.hold();
    a.client.reconnect();
    const held = a.client.patch(increment);
    a.client.close();
    await expect(held).rejects.toMatchObject({ code: "CLOSED" });
    await expect(a.client.patch(increment)).rejects.toMatchObject({ code: "CLOSED" });
    expect(() => a.client.chat("hello?")).toThrow(expect.objectContaining({ code: "CLOSED" }));
    expect(a.client.status).toBe("closed");
    a.network.release();
  });
});

describe("credentials", () => {
  it("stops on a refused ticket with the problem's code, and resumes with new credentials", async () => {
    const { id } = await createCreation("owner-sdk-8");
    let tickets = 0;
    const expired = ticketsFor(id, "board", () =>
      userToken({ sub: "ann", expiresInSeconds: -3600 }),
    );
    const a = openClient(id, "board", "ann", {
      getTicket: () => {
        tickets++;
        return expired();
      },
    });
    await statusOf(a.client, "unauthenticated");
    expect(a.errors).toEqual([
      {
        type: "error",
        code: "TOKEN_EXPIRED",
        message: "The JWT has expired; sign in again.",
        status: 401,
        needsCredentials: true,
      },
    ]);
    expect(retrying(a)).toBe(false);
    const held = a.client.patch(increment); // held for when the client is back
    a.client.setCredentials(ticketsFor(id, "board", () => userToken({ sub: "ann" })));
    expect(await held).toBe(1);
    expect(a.client.user?.user_id).toBe("ann");
    expect([tickets, a.network.connects]).toEqual([1, 1]);
    expect(a.statuses).toEqual(["unauthenticated", "connecting", "connected"]);
    a.client.close();
  });

  it("gives every refused ticket's code: bad token, none, another creation's token", async () => {
    const { id } = await createCreation("owner-sdk-9");
    const other = await createCreation("owner-sdk-9b");
    const cases: [() => Promise<string | null>, string, number][] = [
      [async () => "not-a-jwt", "INVALID_TOKEN", 401],
      [async () => null, "UNAUTHENTICATED", 401],
      [async () => other.token, "CREATION_SCOPE_MISMATCH", 403],
    ];
    for (const [token, code, status] of cases) {
      const a = openClient(id, "board", "ann", { getTicket: ticketsFor(id, "board", token) });
      await statusOf(a.client, "unauthenticated");
      expect(a.errors.map((e) => [e.code, e.status, e.needsCredentials])).toEqual([
        [code, status, true],
      ]);
      expect(retrying(a)).toBe(false);
      a.client.close();
    }
  });

  it("stops when the room closes the socket as unauthenticated, and resumes on reconnect()", async () => {
    const { id } = await createCreation("owner-sdk-10");
    const a = openClient(id, "board", "ann");
    a.network.bypassRouter = true; // no identity from the router: the room refuses the socket
    await statusOf(a.client, "unauthenticated");
    expect(a.errors.map((e) => [e.code, e.needsCredentials])).toEqual([["UNAUTHENTICATED", true]]);
    expect(retrying(a)).toBe(false);
    a.network.bypassRouter = false;
    a.client.reconnect();
    await statusOf(a.client, "connected");
    expect(a.client.user?.user_id).toBe("ann");
    a.client.close();
  });

  it("reports a ticket refused for another reason and keeps retrying", async () => {
    const missing = crypto.randomUUID();
    const a = openClient(missing, "board", "ann");
    await expect.poll(() => a.errors.length).toBe(1);
    expect(a.errors.map((e) => [e.code, e.status, e.needsCredentials])).toEqual([
      ["CREATION_NOT_FOUND", 404, false],
    ]);
    expect([a.client.status, retrying(a)]).toEqual(["connecting", true]);
    a.client.close();
  });
});

describe("cursors", () => {
  it("sends the first cursor at once and the latest of a burst when the interval is over", async () => {
    const { id } = await createCreation("owner-sdk-11");
    const watcher = await connectRoom(id, "board", { token: await userToken({ sub: "wes" }) });
    const a = await connected(id, "board", "ann");
    for (let x = 1; x <= 5; x++) a.client.cursor(x, x);
    expect(a.network.sentOf("cursor").map(({ x }) => x)).toEqual([1]);
    expect(a.timers.pending).toBe(1);
    a.timers.runAll(); // the interval is over
    expect(a.network.sentOf("cursor").map(({ x }) => x)).toEqual([1, 5]);
    const relayed = await watcher.waitFor("cursor", 2);
    expect(relayed.map(({ x }) => x)).toEqual([1, 5]);
    // Without a connection a position is dropped, not held.
    a.network.hold();
    a.client.reconnect();
    a.timers.runAll();
    a.client.cursor(9, 9);
    a.timers.runAll();
    a.network.release();
    await statusOf(a.client, "connected");
    expect(a.network.sentOf("cursor").map(({ x }) => x)).toEqual([1, 5]);
    a.client.close();
    await watcher.close();
  });

  it("lets a stroke's patch through a whiteboard's stream of cursors", async () => {
    const { id } = await createCreation("owner-sdk-12");
    const a = await connected(id, "board", "ann");
    const versions: number[] = [];
    for (let stroke = 0; stroke < 5; stroke++) {
      for (let step = 0; step < 50; step++) {
        a.client.cursor(stroke, step);
        if (step % 6 === 5) a.timers.runAll();
      }
      versions.push(
        await a.client.patch([{ op: "append", path: "/users/ann/strokes", value: stroke }]),
      );
    }
    expect(versions).toEqual([1, 2, 3, 4, 5]);
    expect(a.errors).toEqual([]);
    a.client.close();
  });
});

describe("presence", () => {
  it("publishes the last presence again after a reconnect", async () => {
    const { id } = await createCreation("owner-sdk-13");
    const a = await connected(id, "hall", "ann");
    a.client.setPresence({ color: "teal" });
    a.client.reconnect();
    await statusOf(a.client, "connected");
    await a.client.patch(increment); // answered after the presence frame sent before it
    const { presence } = (await (
      await api(`/v1/rooms/${id}/hall`, { headers: await bearer({ sub: "x" }) })
    ).json()) as { presence: { user_id: string; data: unknown }[] };
    expect(presence).toEqual([
      expect.objectContaining({ user_id: "ann", data: { color: "teal" } }),
    ]);
    expect(a.network.sentOf("presence.set")).toHaveLength(2);
    expect(a.network.sentOf("presence.set").map((frame) => frame.data)).toEqual([
      { color: "teal" },
      { color: "teal" },
    ]);
    a.client.close();
  });

  it("resends presence as it was given, whatever the app does to its object afterwards", async () => {
    const { id } = await createCreation("owner-sdk-15");
    const a = await connected(id, "hall", "ann");
    const data: Record<string, string> = { color: "teal" };
    a.client.setPresence(data);
    data.color = "x".repeat(ROOM_PRESENCE_MAX_BYTES); // too large, had it been sent
    a.client.reconnect();
    await statusOf(a.client, "connected");
    await a.client.patch(increment); // answered after the presence frame sent before it
    const sent = a.network.sentOf("presence.set");
    expect(sent.map((frame) => frame.data)).toEqual([{ color: "teal" }, { color: "teal" }]);
    expect(a.errors).toEqual([]);
    a.client.close();
  });
});
