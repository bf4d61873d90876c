// A signed service request captured on the wire and sent again inside the 300 s window must
// never repeat its effect: a mutation's signature is single-use (401 SIGNATURE_REPLAYED), and
// a mutation carrying an idempotency key gets its stored answer instead.
import { describe, expect, it } from "vitest";
import { replayGuardShard } from "../src/actors/replay-guard-do.ts";
import { REPLAY_GUARD_SHARDS } from "../src/shared/limits.ts";
import { api, createCreation, problemOf, serviceHeaders } from "./helpers.ts";

/** One signed request, frozen: `send()` puts the very same bytes on the wire each time. */
async function captured(method: string, path: string, body?: unknown, extra = {}) {
  const text = body === undefined ? "" : JSON.stringify(body);
  const headers = {
    ...(await serviceHeaders(method, path, text)),
    ...(body === undefined ? {} : { "content-type": "application/json" }),
    ...extra,
  };
  return () => api(path, { method, headers, ...(body === undefined ? {} : { body: text }) });
}

async function balanceOf(userId: string): Promise<number> {
  const read = await captured("GET", `/v1/users/${userId}/wallet`);
  return ((await (await read()).json()) as { balance: number }).balance;
}

async function creationBalance(id: string): Promise<number> {
  const read = await captured("GET", `/v1/creations/${id}/wallet`);
  return ((await (await read()).json()) as { balance: number }).balance;
}

describe("replayed service signatures", () => {
  it("mints credits once when one signed deposit without a reference is sent 10 times", async () => {
    const before = await balanceOf("replay-alice");
    const deposit = await captured("POST", "/v1/users/replay-alice/wallet/deposit", {
      amount: 100,
    });
    const statuses: number[] = [];
    const codes: string[] = [];
    for (let i = 0; i < 10; i++) {
      const response = await deposit();
      statuses.push(response.status);
      if (response.status !== 200) codes.push((await problemOf(response)).code);
    }
    expect(statuses).toEqual([200, ...Array(9).fill(401)]);
    expect(codes).toEqual(Array(9).fill("SIGNATURE_REPLAYED"));
    expect(await balanceOf("replay-alice")).toBe(before + 100);
  });

  it("lets exactly one of 10 concurrent copies through", async () => {
    const before = await balanceOf("replay-bo");
    const deposit = await captured("POST", "/v1/users/replay-bo/wallet/deposit", { amount: 7 });
    const responses = await Promise.all(Array.from({ length: 10 }, () => deposit()));
    expect(responses.map((r) => r.status).sort()).toEqual([200, ...Array(9).fill(401)]);
    expect(await balanceOf("replay-bo")).toBe(before + 7);
  });

  it("answers a copy of a deposit keyed in its signed body with the stored answer, moving the money once", async () => {
    const before = await balanceOf("replay-cy");
    const deposit = await captured("POST", "/v1/users/replay-cy/wallet/deposit", {
      amount: 50,
      reference_id: "replay-cy-1",
    });
    const [first, second, third] = [await deposit(), await deposit(), await deposit()];
    expect([first.status, second.status, third.status]).toEqual([200, 200, 200]);
    expect([second.headers.get("idempotent-replayed"), await second.json()]).toEqual([
      "true",
      await first.json(),
    ]);
    expect(await balanceOf("replay-cy")).toBe(before + 50);
  });

  it("refuses a copy re-sent under an Idempotency-Key header: the signature does not cover it", async () => {
    const before = await balanceOf("replay-cz");
    const path = "/v1/users/replay-cz/wallet/deposit";
    const body = JSON.stringify({ amount: 100 });
    const signed = await serviceHeaders("POST", path, body);
    const send = (key?: string) =>
      api(path, {
        method: "POST",
        headers: {
          ...signed,
          "content-type": "application/json",
          ...(key ? { "idempotency-key": key } : {}),
        },
        body,
      });
    const first = await send("key-1");
    const copies = [await send("key-1"), await send("key-2"), await send()];
    expect(first.status).toBe(200);
    expect(copies.map((copy) => copy.status)).toEqual([401, 401, 401]);
    expect((await problemOf(copies[1] as Response)).code).toBe("SIGNATURE_REPLAYED");
    expect(await balanceOf("replay-cz")).toBe(before + 100);
  });

  it("answers a copy of seed 001's consume (keyed by reference_id) with the stored answer", async () => {
    const before = await balanceOf("replay-di");
    const consume = await captured("POST", "/v1/billing/consume", {
      userId: "replay-di",
      operationType: "main_build",
      seconds: 60,
      reference_id: "build-1",
    });
    const [first, second] = [await consume(), await consume()];
    expect([first.status, second.status]).toEqual([200, 200]);
    expect(second.headers.get("idempotent-replayed")).toBe("true");
    // 60 seconds of AI time are 60 credits, taken once.
    expect(before - (await balanceOf("replay-di"))).toBe(60);
    await consume();
    expect(before - (await balanceOf("replay-di"))).toBe(60);
  });

  it("refuses the copy on every other signed route that creates or moves something", async () => {
    const { id } = await createCreation("replay-owner");
    const routes: [string, string, unknown][] = [
      ["POST", `/v1/creations/${id}/wallet/deposit`, { amount: 30 }],
      ["POST", `/v1/creations/${id}/rotate-token`, undefined],
      ["POST", `/v1/creations/${id}/rotate-webhook-secret`, undefined],
      ["POST", `/v1/rooms/${id}/lobby/messages`, { data: { n: 1 } }],
      ["POST", `/v1/rooms/${id}/lobby/state`, { ops: [{ op: "increment", path: "/shared/n" }] }],
      [
        "PUT",
        `/v1/creations/${id}/schedules/ping`,
        { delay_seconds: 3600, target: { type: "room", room: "lobby", message: 1 } },
      ],
      ["DELETE", `/v1/creations/${id}/schedules/ping`, undefined],
    ];
    for (const [method, path, body] of routes) {
      const send = await captured(method, path, body);
      const first = await send();
      const again = await send();
      expect([
        method,
        path,
        first.status < 300,
        again.status,
        (await problemOf(again)).code,
      ]).toEqual([method, path, true, 401, "SIGNATURE_REPLAYED"]);
    }
    expect(await creationBalance(id)).toBe(30);
    const room = await (await captured("GET", `/v1/rooms/${id}/lobby`))();
    expect(((await room.json()) as { version: number }).version).toBe(1);
  });

  it("lets a signed read be sent again: reads change nothing", async () => {
    const read = await captured("GET", "/v1/users/replay-eve/wallet");
    const statuses = [(await read()).status, (await read()).status];
    expect(statuses).toEqual([200, 200]);
  });
});

describe("replay guard shards", () => {
  it("spreads signatures over exactly REPLAY_GUARD_SHARDS shards by their leading bits", () => {
    const hex = (lead: string) => lead.padEnd(64, "0");
    expect(replayGuardShard(hex("0"))).toBe("shard-0");
    expect(replayGuardShard(hex("f"))).toBe(`shard-${REPLAY_GUARD_SHARDS - 1}`);
    expect(replayGuardShard(hex("ffffffff"))).toBe(`shard-${REPLAY_GUARD_SHARDS - 1}`);
    const shards = new Set(
      Array.from({ length: 256 }, (_, i) => replayGuardShard(hex(i.toString(16).padStart(2, "0")))),
    );
    expect(shards.size).toBe(REPLAY_GUARD_SHARDS);
  });
});
