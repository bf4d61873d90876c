import { evictDurableObject, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { actorByName } from "../src/actors/refusal.ts";
import { clock, setTestClock } from "../src/shared/clock.ts";
import {
  ROOM_CONNECTIONS_MAX,
  ROOM_FRAME_MAX_BYTES,
  ROOM_HISTORY_MAX_MESSAGES,
  ROOM_HISTORY_TRIM_EVERY,
  ROOM_MESSAGES_PER_SECOND,
  ROOM_PRESENCE_MAX_BYTES,
} from "../src/shared/limits.ts";
import {
  api,
  asCreation,
  bearer,
  createCreation,
  eventually,
  jsonInit,
  problemOf,
  userToken,
} from "./helpers.ts";
import { connectRoom } from "./room-helpers.ts";

const token = (sub: string, email?: string) => userToken({ sub, ...(email ? { email } : {}) });

describe("connecting", () => {
  it("refuses an upgrade without credentials or with a bad ticket, before any socket opens", async () => {
    const { id } = await createCreation("owner-a");
    const bare = await api(`/v1/rooms/${id}/lobby`, { headers: { upgrade: "websocket" } });
    expect(bare.status).toBe(401);
    expect(bare.webSocket).toBeNull();
    expect((await problemOf(bare)).code).toBe("UNAUTHENTICATED");
    const badTicket = await api(`/v1/rooms/${id}/lobby?ticket=rtk_nope`, {
      headers: { upgrade: "websocket" },
    });
    expect((await problemOf(badTicket)).code).toBe("INVALID_TICKET");
    const unknown = await api(`/v1/rooms/${crypto.randomUUID()}/lobby`, {
      headers: { upgrade: "websocket", authorization: `Bearer ${await token("u")}` },
    });
    expect((await problemOf(unknown)).code).toBe("CREATION_NOT_FOUND");
  });

  it("welcomes a ticket holder as the user the ticket was issued to, once", async () => {
    const { id } = await createCreation("owner-b");
    const issued = await api(`/v1/rooms/${id}/lobby/tickets`, {
      method: "POST",
      headers: await bearer({ sub: "tia", email: "tia@example.com" }),
    });
    expect(issued.status).toBe(201);
    const { ticket } = (await issued.json()) as { ticket: string };
    const socket = await connectRoom(id, "lobby", { ticket });
    expect(socket.welcome()).toMatchObject({
      user: { user_id: "tia", name: "tia@example.com", anonymous: false, privileged: false },
      version: 0,
      state: { shared: {}, users: {} },
      patches: null,
      history: [],
      presence: [{ user_id: "tia", connections: 1 }],
    });
    const again = await api(`/v1/rooms/${id}/lobby?ticket=${ticket}`, {
      headers: { upgrade: "websocket" },
    });
    expect((await problemOf(again)).code).toBe("INVALID_TICKET");
    await socket.close();
  });

  it("admits anonymous visitors only when the creation allows them", async () => {
    const { id } = await createCreation("owner-c");
    const refused = await api(`/v1/rooms/${id}/lobby/tickets`, { method: "POST" });
    expect((await problemOf(refused)).code).toBe("UNAUTHENTICATED");
    await api(
      `/v1/creations/${id}`,
      jsonInit("PATCH", { allow_anonymous: true }, await bearer({ sub: "owner-c" })),
    );
    const { ticket } = (await (
      await api(`/v1/rooms/${id}/lobby/tickets`, { method: "POST" })
    ).json()) as { ticket: string };
    const socket = await connectRoom(id, "lobby", { ticket });
    expect(socket.welcome().user).toMatchObject({
      user_id: expect.stringMatching(/^anon:/),
      anonymous: true,
    });
    await socket.close();
  });

  it("ignores identity a client claims: a forged identity header or a user_id in a frame", async () => {
    const { id } = await createCreation("owner-d");
    const forged = JSON.stringify({
      user_id: "owner-d",
      name: null,
      anonymous: false,
      privileged: true,
    });
    const socket = await connectRoom(id, "lobby", {
      token: await token("mallory"),
      headers: { "x-troupe-room-identity": forged },
    });
    expect(socket.welcome().user).toMatchObject({ user_id: "mallory", privileged: false });
    socket.send({ type: "chat.send", text: "hi", user_id: "owner-d" });
    socket.send({
      type: "state.patch",
      id: "p1",
      ops: [{ op: "set", path: "/users/owner-d/vote", value: "x" }],
      user_id: "owner-d",
    });
    const [message] = await socket.waitFor("chat.message");
    expect(message).toMatchObject({ user_id: "mallory", text: "hi" });
    expect((await socket.waitFor("error"))[0]).toMatchObject({ id: "p1", code: "FORBIDDEN_PATH" });
    await socket.close();
  });
});

describe("chat and state", () => {
  it("delivers each of 20 clients' messages to all 20 exactly once, in one order", async () => {
    const { id } = await createCreation("owner-e");
    const sockets = await Promise.all(
      Array.from({ length: 20 }, async (_, i) =>
        connectRoom(id, "chat", { token: await token(`chatter-${i}`) }),
      ),
    );
    for (const [i, socket] of sockets.entries()) {
      socket.send({ type: "chat.send", text: `hello from ${i}` });
    }
    const received = await Promise.all(sockets.map((socket) => socket.waitFor("chat.message", 20)));
    const orders = received.map((messages) => messages.map((m) => m.id));
    for (const order of orders) expect(order).toEqual(orders[0]);
    expect(new Set(orders[0]).size).toBe(20);
    // Nothing more arrives: a last message, sent after all of them, is everyone's 21st.
    sockets[0]?.send({ type: "chat.send", text: "the end" });
    const withEnd = await Promise.all(sockets.map((socket) => socket.waitFor("chat.message", 21)));
    expect(withEnd.map((messages) => [messages.length, messages.at(-1)?.text])).toEqual(
      Array(20).fill([21, "the end"]),
    );
    const late = await connectRoom(id, "chat", { token: await token("late") });
    expect(late.welcome().history.map((m) => m.id)).toEqual([
      ...(orders[0] ?? []),
      withEnd[0]?.at(-1)?.id,
    ]);
    await Promise.all([...sockets, late].map((socket) => socket.close()));
  });

  it("keeps delivering every frame once to everyone after the room is evicted under open sockets", async () => {
    const { id } = await createCreation("owner-w");
    const [a, b] = await Promise.all([
      connectRoom(id, "wake", { token: await token("ann") }),
      connectRoom(id, "wake", { token: await token("ben") }),
    ]);
    a.send({ type: "chat.send", text: "before" });
    await Promise.all([a.waitFor("chat.message", 1), b.waitFor("chat.message", 1)]);
    // The instance goes; the hibernatable sockets stay. The next frames reach a new instance,
    // which has not seen these sockets: partyserver wraps them on their first frame.
    await evictDurableObject(env.ROOM.getByName(`${id}:wake`));
    b.send({ type: "chat.send", text: "after 1" });
    a.send({ type: "chat.send", text: "after 2" });
    b.send({ type: "cursor", x: 1, y: 2 });
    const [seenByA, seenByB] = await Promise.all([
      a.waitFor("chat.message", 3),
      b.waitFor("chat.message", 3),
    ]);
    expect(seenByA.map((m) => [m.user_id, m.text])).toEqual([
      ["ann", "before"],
      ["ben", "after 1"],
      ["ann", "after 2"],
    ]);
    expect(seenByB.map((m) => m.id)).toEqual(seenByA.map((m) => m.id));
    expect((await a.waitFor("cursor"))[0]).toMatchObject({ user_id: "ben", x: 1, y: 2 });
    // Frames on one socket arrive in order: once b has its own later message, an echo of its
    // cursor would have come before it.
    b.send({ type: "chat.send", text: "last" });
    await b.waitFor("chat.message", 4);
    expect(b.of("cursor")).toEqual([]);
    await Promise.all([a.close(), b.close()]);
  });

  it("keeps exactly the newest ROOM_HISTORY_MAX_MESSAGES in order, trimming older rows in batches", async () => {
    const { id } = await createCreation("owner-h");
    // 6 senders of 27 messages each stay under the per-connection rate at a fixed clock.
    const senders = await Promise.all(
      Array.from({ length: 6 }, async (_, i) =>
        connectRoom(id, "long-chat", { token: await token(`talker-${i}`) }),
      ),
    );
    const total = 6 * 27;
    for (let n = 0; n < 27; n++) {
      for (const [i, socket] of senders.entries()) {
        socket.send({ type: "chat.send", text: `${i}:${n}` });
      }
    }
    const seen = await senders[0]?.waitFor("chat.message", total);
    const late = await connectRoom(id, "long-chat", { token: await token("latecomer") });
    expect(late.welcome().history.map((m) => m.id)).toEqual(
      seen?.slice(-ROOM_HISTORY_MAX_MESSAGES).map((m) => m.id),
    );
    const rows = await runInDurableObject(
      env.ROOM.getByName(`${id}:long-chat`),
      (_, state) => state.storage.sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM chat").one().n,
    );
    // 162 messages: trimmed at 150 down to the newest 100, then 12 more.
    expect(rows).toBe(ROOM_HISTORY_MAX_MESSAGES + (total % ROOM_HISTORY_TRIM_EVERY));
    expect(rows).toBeLessThan(ROOM_HISTORY_MAX_MESSAGES + ROOM_HISTORY_TRIM_EVERY);
    await Promise.all([...senders, late].map((socket) => socket.close()));
  });

  it("gives concurrent patches consecutive versions and every client the same final state", async () => {
    const { id } = await createCreation("owner-f");
    const sockets = await Promise.all(
      Array.from({ length: 10 }, async (_, i) =>
        connectRoom(id, "counter", { token: await token(`patcher-${i}`) }),
      ),
    );
    sockets.forEach((socket, i) => {
      for (let n = 0; n < 5; n++) {
        socket.send({
          type: "state.patch",
          id: `${i}-${n}`,
          ops: [
            { op: "increment", path: "/shared/count" },
            { op: "append", path: `/users/patcher-${i}/log`, value: n },
          ],
        });
      }
    });
    const acks = (await Promise.all(sockets.map((socket) => socket.waitFor("ack", 5)))).flat();
    expect(acks.map((ack) => ack.version).sort((a, b) => Number(a) - Number(b))).toEqual(
      Array.from({ length: 50 }, (_, i) => i + 1),
    );
    for (const socket of sockets) {
      const patched = await socket.waitFor("state.patched", 50);
      expect(patched.map((p) => p.version)).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
    }
    const snapshot = (await (
      await api(`/v1/rooms/${id}/counter`, { headers: await bearer({ sub: "patcher-0" }) })
    ).json()) as {
      version: number;
      state: { shared: { count: number }; users: Record<string, { log: number[] }> };
    };
    expect(snapshot.version).toBe(50);
    expect(snapshot.state.shared.count).toBe(50);
    expect(snapshot.state.users["patcher-3"]?.log).toEqual([0, 1, 2, 3, 4]);
    await Promise.all(sockets.map((socket) => socket.close()));
  });

  it("lets each user write only their own slot (one vote each), and only the owner write elsewhere", async () => {
    const { id } = await createCreation("owner-g");
    const voter = await connectRoom(id, "poll", { token: await token("voter") });
    const owner = await connectRoom(id, "poll", { token: await token("owner-g") });
    voter.send({
      type: "state.patch",
      id: "v1",
      ops: [{ op: "set", path: "/users/voter/vote", value: "a" }],
    });
    voter.send({
      type: "state.patch",
      id: "v2",
      ops: [{ op: "set", path: "/users/voter/vote", value: "b" }],
    });
    voter.send({
      type: "state.patch",
      id: "v3",
      ops: [{ op: "set", path: "/users/someone/vote", value: "a" }],
    });
    voter.send({
      type: "state.patch",
      id: "v4",
      ops: [{ op: "set", path: "/config/title", value: "mine" }],
    });
    voter.send({
      type: "state.patch",
      id: "v5",
      ops: [
        { op: "set", path: "/shared/ok", value: 1 },
        { op: "set", path: "/config/x", value: 1 },
      ],
    });
    owner.send({
      type: "state.patch",
      id: "o1",
      ops: [{ op: "set", path: "/config/title", value: "Lunch?" }],
    });
    const errors = await voter.waitFor("error", 3);
    expect(errors.map((e) => [e.id, e.code])).toEqual([
      ["v3", "FORBIDDEN_PATH"],
      ["v4", "FORBIDDEN_PATH"],
      ["v5", "FORBIDDEN_PATH"],
    ]);
    await owner.waitFor("ack");
    const { state } = (await (
      await api(`/v1/rooms/${id}/poll`, { headers: await bearer({ sub: "voter" }) })
    ).json()) as { state: Record<string, unknown> };
    expect(state).toEqual({
      shared: {},
      users: { voter: { vote: "b" } },
      config: { title: "Lunch?" },
    });
    await Promise.all([voter.close(), owner.close()]);
    // The state is the room's SQLite: it survives eviction.
    await evictDurableObject(env.ROOM.getByName(`${id}:poll`));
    const after = await api(`/v1/rooms/${id}/poll`, { headers: await bearer({ sub: "voter" }) });
    expect(await after.json()).toMatchObject({ version: 3, state });
  });

  it("answers INVALID_PATCH and INVALID_FRAME with error frames and changes nothing", async () => {
    const { id } = await createCreation("owner-h");
    const socket = await connectRoom(id, "room", { token: await token("hal") });
    socket.send({
      type: "state.patch",
      id: "a",
      ops: [{ op: "set", path: "/shared/n", value: "text" }],
    });
    socket.send({
      type: "state.patch",
      id: "b",
      ops: [
        { op: "set", path: "/shared/m", value: 1 },
        { op: "increment", path: "/shared/n" },
      ],
    });
    socket.send("not json");
    socket.send({ type: "dance" });
    socket.send({ type: "state.patch", id: "c", ops: [] });
    const errors = await socket.waitFor("error", 4);
    expect(errors.map((e) => [e.id ?? null, e.code])).toEqual([
      ["b", "INVALID_PATCH"],
      [null, "INVALID_FRAME"],
      [null, "INVALID_FRAME"],
      ["c", "INVALID_FRAME"],
    ]);
    const { state, version } = (await (
      await api(`/v1/rooms/${id}/room`, { headers: await bearer({ sub: "hal" }) })
    ).json()) as { state: { shared: object }; version: number };
    expect(version).toBe(1);
    expect(state.shared).toEqual({ n: "text" });
    await socket.close();
  });

  it("catches a reconnecting client up with exactly the patches it missed", async () => {
    const { id } = await createCreation("owner-i");
    const writer = await connectRoom(id, "sync", { token: await token("ivan") });
    for (let n = 1; n <= 3; n++)
      writer.send({
        type: "state.patch",
        id: `p${n}`,
        ops: [{ op: "set", path: `/shared/k${n}`, value: n }],
      });
    await writer.waitFor("ack", 3);
    const back = await connectRoom(id, "sync", { token: await token("jo"), since: 1 });
    expect(back.welcome()).toMatchObject({ version: 3, state: null });
    expect((back.welcome().patches ?? []).map((p) => [p.version, p.ops])).toEqual([
      [2, [{ op: "set", path: "/shared/k2", value: 2 }]],
      [3, [{ op: "set", path: "/shared/k3", value: 3 }]],
    ]);
    const ahead = await connectRoom(id, "sync", { token: await token("jo"), since: 99 });
    expect(ahead.welcome()).toMatchObject({
      version: 3,
      patches: null,
      state: { shared: { k1: 1, k2: 2, k3: 3 } },
    });
    await Promise.all([writer.close(), back.close(), ahead.close()]);
  });
});

describe("presence, cursors and timers", () => {
  it("shows one entry per user across tabs, and says when they leave", async () => {
    const { id } = await createCreation("owner-j");
    const watcher = await connectRoom(id, "hall", { token: await token("watcher") });
    const tab1 = await connectRoom(id, "hall", { token: await token("kai") });
    const tab2 = await connectRoom(id, "hall", { token: await token("kai") });
    expect(tab2.welcome().presence).toEqual([
      { user_id: "kai", name: null, anonymous: false, data: {}, connections: 2 },
      { user_id: "watcher", name: null, anonymous: false, data: {}, connections: 1 },
    ]);
    expect(await watcher.waitFor("presence.joined")).toHaveLength(1);
    tab1.send({ type: "presence.set", data: { color: "teal" } });
    const [updated] = await watcher.waitFor("presence.updated");
    expect(updated?.user).toMatchObject({
      user_id: "kai",
      data: { color: "teal" },
      connections: 2,
    });
    await tab1.close();
    const afterOne = await watcher.waitFor("presence.updated", 2);
    expect(afterOne[1]?.user).toMatchObject({ user_id: "kai", connections: 1 });
    expect(watcher.of("presence.left")).toEqual([]);
    await tab2.close();
    expect((await watcher.waitFor("presence.left"))[0]).toEqual({
      type: "presence.left",
      user_id: "kai",
    });
    expect(watcher.of("presence.joined")).toHaveLength(1);
    await watcher.close();
  });

  it("relays cursors to the others only, with the sender's user id", async () => {
    const { id } = await createCreation("owner-k");
    const a = await connectRoom(id, "board", { token: await token("ana") });
    const b = await connectRoom(id, "board", { token: await token("ben") });
    a.send({ type: "cursor", x: 10, y: 20, user_id: "ben" });
    expect((await b.waitFor("cursor"))[0]).toEqual({
      type: "cursor",
      user_id: "ana",
      x: 10,
      y: 20,
    });
    // The room handles a connection's frames in order: once ana's later chat message is back,
    // her cursor was relayed already, and it was not relayed to her.
    a.send({ type: "chat.send", text: "after the cursor" });
    await a.waitFor("chat.message");
    expect(a.of("cursor")).toEqual([]);
    await Promise.all([a.close(), b.close()]);
  });

  it("fires a timer after the room was evicted, and lets only the creation start one by default", async () => {
    const { id } = await createCreation("owner-l");
    const player = await connectRoom(id, "game", { token: await token("player") });
    player.send({ type: "timer.start", name: "turn", seconds: 1 });
    expect((await player.waitFor("error"))[0]).toMatchObject({ code: "FORBIDDEN" });
    const owner = await connectRoom(id, "game", { token: await token("owner-l") });
    owner.send({ type: "timer.start", name: "turn", seconds: 1 });
    await owner.waitFor("timer.started");
    const room = env.ROOM.getByName(`${id}:game`);
    await evictDurableObject(room);
    const watcher = await connectRoom(id, "game", { token: await token("watcher") });
    setTestClock(clock.now() + 1_100); // past the timer, on the clock: no waiting
    await runDurableObjectAlarm(room);
    expect((await watcher.waitFor("timer.fired"))[0]).toEqual({
      type: "timer.fired",
      name: "turn",
    });
    await watcher.close();
  });
});

describe("limits", () => {
  it("answers an oversized frame with FRAME_TOO_LARGE and keeps the connection", async () => {
    const { id } = await createCreation("owner-m");
    const socket = await connectRoom(id, "limits", { token: await token("max") });
    socket.send({ type: "chat.send", text: "x".repeat(ROOM_FRAME_MAX_BYTES) });
    expect((await socket.waitFor("error"))[0]).toMatchObject({ code: "FRAME_TOO_LARGE" });
    socket.send({ type: "chat.send", text: "still here" });
    expect((await socket.waitFor("chat.message"))[0]).toMatchObject({ text: "still here" });
    await socket.close();
  });

  it("refuses presence data over its limit and keeps the last good one", async () => {
    const { id } = await createCreation("owner-t");
    const socket = await connectRoom(id, "limits", { token: await token("pru") });
    socket.send({ type: "presence.set", data: { status: "away" } });
    await socket.waitFor("presence.updated");
    socket.send({ type: "presence.set", data: { blob: "z".repeat(ROOM_PRESENCE_MAX_BYTES) } });
    expect((await socket.waitFor("error"))[0]).toMatchObject({ code: "PRESENCE_TOO_LARGE" });
    const snapshot = (await (
      await api(`/v1/rooms/${id}/limits`, { headers: await bearer({ sub: "pru" }) })
    ).json()) as {
      presence: { data: object }[];
    };
    expect(snapshot.presence.map((entry) => entry.data)).toEqual([{ status: "away" }]);
    await socket.close();
  });

  it("rate-limits a connection that sends too fast", async () => {
    const { id } = await createCreation("owner-n");
    const socket = await connectRoom(id, "limits", { token: await token("nia") });
    for (let i = 0; i < ROOM_MESSAGES_PER_SECOND + 10; i++)
      socket.send({ type: "chat.send", text: `m${i}` });
    const limited = await socket.waitFor("error", 10);
    expect(limited.every((e) => e.code === "RATE_LIMITED")).toBe(true);
    expect(await socket.waitFor("chat.message", ROOM_MESSAGES_PER_SECOND)).toHaveLength(
      ROOM_MESSAGES_PER_SECOND,
    );
    await socket.close();
  });

  it("refuses a patch that would grow the state past its limit", async () => {
    const { id } = await createCreation("owner-o");
    const socket = await connectRoom(id, "limits", { token: await token("oli") });
    const chunk = "y".repeat(14_000);
    for (let i = 0; i < 20; i++) {
      socket.send({
        type: "state.patch",
        id: `s${i}`,
        ops: [{ op: "set", path: `/shared/c${i}`, value: chunk }],
      });
    }
    const errors = await socket.waitFor("error");
    expect(errors[0]).toMatchObject({ code: "STATE_TOO_LARGE" });
    expect(socket.of("ack")).toHaveLength(18);
    await socket.close();
  });
});

describe("connection limit", () => {
  it(`refuses the upgrade after ${ROOM_CONNECTIONS_MAX} connections with 429 ROOM_FULL`, async () => {
    const { id } = await createCreation("owner-s");
    const room = actorByName(env.ROOM, `${id}:full`);
    const identity = JSON.stringify({
      user_id: "crowd",
      name: null,
      anonymous: false,
      privileged: false,
    });
    const sockets: WebSocket[] = [];
    for (let i = 0; i < ROOM_CONNECTIONS_MAX; i++) {
      const response = await room.fetch(
        new Request(`https://troupe.test/v1/rooms/${id}/full`, {
          headers: { upgrade: "websocket", "x-troupe-room-identity": identity },
        }),
      );
      const socket = response.webSocket as WebSocket;
      socket.accept();
      sockets.push(socket);
    }
    const refused = await api(`/v1/rooms/${id}/full`, {
      headers: { upgrade: "websocket", authorization: `Bearer ${await token("one-more")}` },
    });
    expect(refused.status).toBe(429);
    expect(refused.webSocket).toBeNull();
    expect((await problemOf(refused)).code).toBe("ROOM_FULL");
    for (const socket of sockets) socket.close(1000, "done");
    // 500 real upgrades one after another: a budget for a busy machine, not a speed check.
  }, 30_000);
});

describe("REST and schedules", () => {
  it("pushes server messages and privileged patches for the creation, its owner and the platform only", async () => {
    const creation = await createCreation("owner-p");
    const listener = await connectRoom(creation.id, "news", { token: await token("reader") });
    const push = await api(
      `/v1/rooms/${creation.id}/news/messages`,
      jsonInit("POST", { data: { headline: "hi" } }, asCreation(creation.token)),
    );
    expect(await push.json()).toEqual({ delivered: 1 });
    expect((await listener.waitFor("server.message"))[0]).toMatchObject({
      data: { headline: "hi" },
    });
    const stranger = await api(
      `/v1/rooms/${creation.id}/news/messages`,
      jsonInit("POST", { data: 1 }, await bearer({ sub: "reader" })),
    );
    expect((await problemOf(stranger)).code).toBe("FORBIDDEN");
    const patched = await api(
      `/v1/rooms/${creation.id}/news/state`,
      jsonInit(
        "POST",
        { ops: [{ op: "set", path: "/config/open_timers", value: true }] },
        await bearer({ sub: "owner-p" }),
      ),
    );
    expect(await patched.json()).toEqual({ version: 1 });
    expect((await listener.waitFor("state.patched"))[0]).toMatchObject({
      version: 1,
      by: "owner-p",
    });
    const other = await createCreation("owner-q");
    const mismatch = await api(
      `/v1/rooms/${creation.id}/news/messages`,
      jsonInit("POST", { data: 1 }, asCreation(other.token)),
    );
    expect((await problemOf(mismatch)).code).toBe("CREATION_SCOPE_MISMATCH");
    await listener.close();
  });

  it("delivers a creation schedule with a room target into the room", async () => {
    const creation = await createCreation("owner-r");
    const listener = await connectRoom(creation.id, "daily", { token: await token("fan") });
    const put = await api(
      `/v1/creations/${creation.id}/schedules/ping`,
      jsonInit(
        "PUT",
        {
          delay_seconds: 1,
          target: { type: "room", room: "daily", message: { text: "good morning" } },
        },
        await bearer({ sub: "owner-r" }),
      ),
    );
    expect(put.status).toBe(201);
    setTestClock(clock.now() + 1_100); // past the timer, on the clock: no waiting
    await runDurableObjectAlarm(env.CREATION.getByName(creation.id));
    const [message] = await listener.waitFor("server.message");
    expect(message?.data).toMatchObject({ schedule: "ping", message: { text: "good morning" } });
    await eventually(
      async () =>
        (await (
          await api(`/v1/creations/${creation.id}/schedules`, {
            headers: await bearer({ sub: "owner-r" }),
          })
        ).json()) as { last_status: string }[],
      (list) => list[0]?.last_status === "ok",
    );
    await listener.close();
  });
});
