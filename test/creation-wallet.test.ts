import { evictDurableObject, runDurableObjectAlarm } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { creationAccount } from "../src/actors/wallet/account.ts";
import { clock, setTestClock } from "../src/shared/clock.ts";
import { api, asCreation, bearer, createCreation, problemOf } from "./helpers.ts";
import {
  asService,
  creationWallet,
  expectCleanAudit,
  fundCreation,
  post,
  userWallet,
} from "./wallet-helpers.ts";

type Result = { transaction: { id: string; kind: string; amount: number }; balance: number };
type HoldResult = Result & {
  hold: { id: string; status: string; captured: number | null };
  held: number;
};

describe("creation wallet: spends", () => {
  it("lets exactly 100 of 200 concurrent spends of 10 through a balance of 1000", async () => {
    const { id, token } = await createCreation();
    await fundCreation(id, 1000);
    const responses = await Promise.all(
      Array.from({ length: 200 }, () =>
        post(
          `/v1/creations/${id}/wallet/spend`,
          { amount: 10, type: "provider_call" },
          asCreation(token),
        ),
      ),
    );
    const statuses = responses.map((response) => response.status);
    expect(statuses.filter((status) => status === 200)).toHaveLength(100);
    expect(statuses.filter((status) => status === 402)).toHaveLength(100);
    const denied = await problemOf(responses[statuses.indexOf(402)] as Response);
    expect(denied).toMatchObject({
      code: "INSUFFICIENT_CREATION_FUNDS",
      status: 402,
      balance: 0,
      required: 10,
      shortfall: 10,
    });
    const wallet = await (
      await api(`/v1/creations/${id}/wallet`, { headers: asCreation(token) })
    ).json();
    expect(wallet).toMatchObject({ creation_id: id, balance: 0, held: 0 });
    const audit = await expectCleanAudit(creationWallet(id));
    expect(audit.ledger_total).toBe(0);
  });

  it("returns the transaction and the new balance, and names balance, required and shortfall on 402", async () => {
    const { id, token } = await createCreation();
    await fundCreation(id, 25);
    const ok = await post(
      `/v1/creations/${id}/wallet/spend`,
      { amount: 20, type: "provider_call", description: "upstream", on_behalf_of_user_id: "u-7" },
      asCreation(token),
    );
    expect(ok.status).toBe(200);
    expect(await ok.json()).toMatchObject({
      balance: 5,
      transaction: {
        kind: "spend",
        amount: 20,
        delta: -20,
        balance_after: 5,
        type: "provider_call",
        description: "upstream",
        on_behalf_of_user_id: "u-7",
      },
    });
    const short = await post(
      `/v1/creations/${id}/wallet/spend`,
      { amount: 8, type: "x" },
      asCreation(token),
    );
    expect(short.status).toBe(402);
    expect(await problemOf(short)).toMatchObject({ balance: 5, required: 8, shortfall: 3 });
  });

  it("rejects fractional, zero and negative amounts with 400 naming the field, changing nothing", async () => {
    const { id, token } = await createCreation();
    await fundCreation(id, 100);
    for (const amount of [2.5, 0, -5, "10"]) {
      const response = await post(
        `/v1/creations/${id}/wallet/spend`,
        { amount, type: "x" },
        asCreation(token),
      );
      expect(response.status).toBe(400);
      expect((await problemOf(response)).detail).toMatch(/^body amount: /);
    }
    expect((await creationWallet(id).audit()).balance).toBe(100);
  });

  it("is 403 CREATION_SCOPE_MISMATCH for another creation's token and 404 for an unknown creation", async () => {
    const mine = await createCreation();
    const theirs = await createCreation("bob");
    const response = await post(
      `/v1/creations/${mine.id}/wallet/spend`,
      { amount: 1, type: "x" },
      asCreation(theirs.token),
    );
    expect(response.status).toBe(403);
    expect((await problemOf(response)).code).toBe("CREATION_SCOPE_MISMATCH");
    const unknown = await api(`/v1/creations/${crypto.randomUUID()}/wallet`, {
      headers: await bearer(),
    });
    expect((await problemOf(unknown)).code).toBe("CREATION_NOT_FOUND");
  });

  it("lets only the owner, an admin, the platform and its own token read it", async () => {
    const { id, token } = await createCreation();
    const path = `/v1/creations/${id}/wallet`;
    expect((await api(path, { headers: await bearer() })).status).toBe(200);
    expect((await api(path, { headers: await bearer({ sub: "root", admin: true }) })).status).toBe(
      200,
    );
    expect((await api(path, { headers: asCreation(token) })).status).toBe(200);
    expect((await asService("GET", path)).status).toBe(200);
    const stranger = await api(path, { headers: await bearer({ sub: "mallory" }) });
    expect((await problemOf(stranger)).code).toBe("FORBIDDEN");
  });
});

describe("creation wallet: deposits", () => {
  it("moves the owner's deposit out of the owner's own wallet", async () => {
    const { id } = await createCreation("olga");
    const before = await (
      await api("/v1/me/wallet", { headers: await bearer({ sub: "olga" }) })
    ).json();
    expect(before).toMatchObject({ balance: 3900 }); // welcome 3000 + today's gift 900
    const response = await post(
      `/v1/creations/${id}/wallet/deposit`,
      { amount: 1000, description: "top-up" },
      await bearer({ sub: "olga" }),
    );
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({
      transaction: { kind: "transfer_out", amount: 1000, creation_id: id },
      balance: 2900,
      creation_balance: 1000,
    });
    const wallet = await (
      await api(`/v1/creations/${id}/wallet`, { headers: await bearer({ sub: "olga" }) })
    ).json();
    expect(wallet).toMatchObject({ balance: 1000 });
    await expectCleanAudit(userWallet("olga"));
    await expectCleanAudit(creationWallet(id));
  });

  it("answers a retried owner deposit with the first answer, and moves the money once", async () => {
    const { id } = await createCreation("otto");
    const deposit = async () =>
      post(
        `/v1/creations/${id}/wallet/deposit`,
        { amount: 700, reference_id: "topup-otto" },
        await bearer({ sub: "otto" }),
      );
    const first = await deposit();
    const firstBody = await first.text();
    expect(JSON.parse(firstBody)).toMatchObject({ balance: 3200, creation_balance: 700 });
    const again = await deposit();
    expect(again.headers.get("idempotent-replayed")).toBe("true");
    expect(await again.text()).toBe(firstBody);
    expect((await creationWallet(id).audit()).balance).toBe(700);
    expect((await userWallet("otto").audit()).balance).toBe(3200);
  });

  it("is 402 INSUFFICIENT_CREDITS when the owner's wallet is short, and 403 for anyone else", async () => {
    const { id, token } = await createCreation("pat");
    const short = await post(
      `/v1/creations/${id}/wallet/deposit`,
      { amount: 5000 },
      await bearer({ sub: "pat" }),
    );
    expect(await problemOf(short)).toMatchObject({
      code: "INSUFFICIENT_CREDITS",
      balance: 3900,
      shortfall: 1100,
    });
    const stranger = await post(
      `/v1/creations/${id}/wallet/deposit`,
      { amount: 1 },
      await bearer({ sub: "eve" }),
    );
    expect((await problemOf(stranger)).code).toBe("FORBIDDEN");
    const self = await post(`/v1/creations/${id}/wallet/deposit`, { amount: 1 }, asCreation(token));
    expect((await problemOf(self)).code).toBe("CREATION_SCOPE_DENIED");
    expect((await creationWallet(id).audit()).balance).toBe(0);
  });
});

describe("creation wallet: idempotency", () => {
  it("replays the stored body for the same key, also after the actor is evicted", async () => {
    const { id, token } = await createCreation();
    await fundCreation(id, 100);
    const body = { amount: 30, type: "provider_call", reference_id: "req-1" };
    const first = await post(`/v1/creations/${id}/wallet/spend`, body, asCreation(token));
    const firstBody = await first.text();
    expect(first.status).toBe(200);
    expect(first.headers.get("idempotent-replayed")).toBeNull();

    await evictDurableObject(env.WALLET.getByName(creationAccount(id)));
    const again = await post(`/v1/creations/${id}/wallet/spend`, body, asCreation(token));
    expect(again.status).toBe(200);
    expect(again.headers.get("idempotent-replayed")).toBe("true");
    expect(await again.text()).toBe(firstBody);

    const viaHeader = await post(
      `/v1/creations/${id}/wallet/spend`,
      { amount: 30, type: "provider_call" },
      { ...asCreation(token), "idempotency-key": "req-2" },
    );
    expect(viaHeader.status).toBe(200);
    expect((await creationWallet(id).audit()).balance).toBe(40);
  });

  it("is 422 IDEMPOTENCY_KEY_REUSED for the same key with another input, and 400 when header and body disagree", async () => {
    const { id, token } = await createCreation();
    await fundCreation(id, 100);
    await post(
      `/v1/creations/${id}/wallet/spend`,
      { amount: 10, type: "a", reference_id: "k" },
      asCreation(token),
    );
    const reused = await post(
      `/v1/creations/${id}/wallet/spend`,
      { amount: 11, type: "a", reference_id: "k" },
      asCreation(token),
    );
    expect(reused.status).toBe(422);
    expect((await problemOf(reused)).code).toBe("IDEMPOTENCY_KEY_REUSED");
    const mismatch = await post(
      `/v1/creations/${id}/wallet/spend`,
      { amount: 10, type: "a", reference_id: "k" },
      { ...asCreation(token), "idempotency-key": "other" },
    );
    expect((await problemOf(mismatch)).code).toBe("IDEMPOTENCY_KEY_MISMATCH");
    expect((await creationWallet(id).audit()).balance).toBe(90);
  });

  it("replays a 402 for its key, and lets concurrent retries of one key spend once", async () => {
    const { id, token } = await createCreation();
    await fundCreation(id, 50);
    const denied = await post(
      `/v1/creations/${id}/wallet/spend`,
      { amount: 80, type: "a", reference_id: "big" },
      asCreation(token),
    );
    expect(denied.status).toBe(402);
    await fundCreation(id, 50);
    const replayed = await post(
      `/v1/creations/${id}/wallet/spend`,
      { amount: 80, type: "a", reference_id: "big" },
      asCreation(token),
    );
    expect(replayed.status).toBe(402);
    expect(await problemOf(replayed)).toMatchObject({ balance: 50, replayed: true });

    const retries = await Promise.all(
      Array.from({ length: 20 }, () =>
        post(
          `/v1/creations/${id}/wallet/spend`,
          { amount: 7, type: "a", reference_id: "once" },
          asCreation(token),
        ),
      ),
    );
    const bodies = await Promise.all(retries.map((response) => response.json() as Promise<Result>));
    expect(new Set(bodies.map((body) => body.transaction.id)).size).toBe(1);
    expect(
      retries.filter((response) => response.headers.get("idempotent-replayed") === "true"),
    ).toHaveLength(19);
    expect((await creationWallet(id).audit()).balance).toBe(93);
  });
});

describe("creation wallet: holds", () => {
  it("reserves, captures part and returns the rest; a settled hold cannot be settled again", async () => {
    const { id, token } = await createCreation();
    await fundCreation(id, 100);
    const placed = await post(
      `/v1/creations/${id}/wallet/holds`,
      { amount: 60, type: "llm" },
      asCreation(token),
    );
    expect(placed.status).toBe(201);
    const hold = (await placed.json()) as HoldResult;
    expect(hold).toMatchObject({
      balance: 40,
      held: 60,
      hold: { status: "active", captured: null },
    });

    const over = await post(
      `/v1/creations/${id}/wallet/holds/${hold.hold.id}/capture`,
      { amount: 61 },
      asCreation(token),
    );
    expect(await problemOf(over)).toMatchObject({ code: "CAPTURE_EXCEEDS_HOLD", held: 60 });

    const captured = await post(
      `/v1/creations/${id}/wallet/holds/${hold.hold.id}/capture`,
      { amount: 45 },
      asCreation(token),
    );
    expect(await captured.json()).toMatchObject({
      balance: 55,
      held: 0,
      hold: { status: "captured", captured: 45 },
      transaction: { kind: "capture", amount: 45, delta: 15 },
    });
    const release = await post(
      `/v1/creations/${id}/wallet/holds/${hold.hold.id}/release`,
      {},
      asCreation(token),
    );
    expect(await problemOf(release)).toMatchObject({
      code: "HOLD_NOT_ACTIVE",
      hold_status: "captured",
    });
    await expectCleanAudit(creationWallet(id));
  });

  it("releases everything on request, and the scheduler releases an expired hold", async () => {
    const { id, token } = await createCreation();
    await fundCreation(id, 100);
    const a = (await (
      await post(`/v1/creations/${id}/wallet/holds`, { amount: 30 }, asCreation(token))
    ).json()) as HoldResult;
    const released = await api(`/v1/creations/${id}/wallet/holds/${a.hold.id}/release`, {
      method: "POST",
      headers: asCreation(token),
    });
    expect(await released.json()).toMatchObject({
      balance: 100,
      held: 0,
      hold: { status: "released" },
    });

    const b = (await (
      await post(
        `/v1/creations/${id}/wallet/holds`,
        { amount: 70, ttl_seconds: 1 },
        asCreation(token),
      )
    ).json()) as HoldResult;
    expect(b.balance).toBe(30);
    // Past the hold's expiry on the clock, then the alarm as it would fire: the effect is asserted
    // below (runDurableObjectAlarm's own answer says only that some alarm was set).
    setTestClock(clock.now() + 2_000);
    await runDurableObjectAlarm(env.WALLET.getByName(creationAccount(id)));
    const wallet = await (
      await api(`/v1/creations/${id}/wallet`, { headers: asCreation(token) })
    ).json();
    expect(wallet).toMatchObject({ balance: 100, held: 0 });
    const late = await post(
      `/v1/creations/${id}/wallet/holds/${b.hold.id}/capture`,
      {},
      asCreation(token),
    );
    expect(await problemOf(late)).toMatchObject({
      code: "HOLD_NOT_ACTIVE",
      hold_status: "expired",
    });
    await expectCleanAudit(creationWallet(id));
  });

  it("keeps the ledger whole under concurrent holds, captures, releases and spends", async () => {
    const { id, token } = await createCreation();
    await fundCreation(id, 1000);
    const holds = await Promise.all(
      Array.from({ length: 60 }, () =>
        post(`/v1/creations/${id}/wallet/holds`, { amount: 20 }, asCreation(token)),
      ),
    );
    const placed = holds.filter((response) => response.status === 201);
    expect(placed).toHaveLength(50);
    expect(holds.filter((response) => response.status === 402)).toHaveLength(10);
    const ids = await Promise.all(
      placed.map(async (response) => ((await response.json()) as HoldResult).hold.id),
    );
    // Half are captured for 15 (5 returns each), half released (20 each), while spends race.
    const settles = ids.map((holdId, index) =>
      post(
        `/v1/creations/${id}/wallet/holds/${holdId}/${index % 2 === 0 ? "capture" : "release"}`,
        index % 2 === 0 ? { amount: 15 } : {},
        asCreation(token),
      ),
    );
    const spends = Array.from({ length: 40 }, () =>
      post(`/v1/creations/${id}/wallet/spend`, { amount: 10, type: "x" }, asCreation(token)),
    );
    const settled = await Promise.all(settles);
    expect(settled.every((response) => response.status === 200)).toBe(true);
    const spent = (await Promise.all(spends)).filter((response) => response.status === 200).length;
    const audit = await expectCleanAudit(creationWallet(id));
    // 25 captures keep 15 each; every accepted spend keeps 10.
    expect(audit.balance).toBe(1000 - 25 * 15 - spent * 10);
    expect(audit.held).toBe(0);
  });
});

describe("creation wallet: refunds and transactions", () => {
  it("refunds a spend once, by the platform only", async () => {
    const { id, token } = await createCreation();
    await fundCreation(id, 100);
    const spend = (await (
      await post(`/v1/creations/${id}/wallet/spend`, { amount: 40, type: "x" }, asCreation(token))
    ).json()) as Result;
    const path = `/v1/creations/${id}/wallet/refunds`;
    const byToken = await post(path, { transaction_id: spend.transaction.id }, asCreation(token));
    expect((await problemOf(byToken)).code).toBe("CREATION_SCOPE_DENIED");
    const byOwner = await post(path, { transaction_id: spend.transaction.id }, await bearer());
    expect((await problemOf(byOwner)).code).toBe("FORBIDDEN");
    const tooMuch = await asService("POST", path, {
      transaction_id: spend.transaction.id,
      amount: 41,
    });
    expect((await problemOf(tooMuch)).code).toBe("REFUND_EXCEEDS_SPEND");
    const refunded = await asService("POST", path, {
      transaction_id: spend.transaction.id,
      amount: 25,
    });
    expect(await refunded.json()).toMatchObject({
      balance: 85,
      transaction: { kind: "refund", amount: 25, refund_of: spend.transaction.id },
    });
    const twice = await asService("POST", path, {
      transaction_id: spend.transaction.id,
      amount: 5,
    });
    expect((await problemOf(twice)).code).toBe("ALREADY_REFUNDED");
    await expectCleanAudit(creationWallet(id));
  });

  it("pages transactions newest first with a cursor", async () => {
    const { id, token } = await createCreation();
    await fundCreation(id, 100);
    for (let amount = 1; amount <= 5; amount++) {
      await post(`/v1/creations/${id}/wallet/spend`, { amount, type: "x" }, asCreation(token));
    }
    const first = (await (
      await api(`/v1/creations/${id}/wallet/transactions?limit=4`, { headers: asCreation(token) })
    ).json()) as { transactions: Result["transaction"][]; next_cursor: string };
    expect(first.transactions.map((t) => t.amount)).toEqual([5, 4, 3, 2]);
    const second = (await (
      await api(`/v1/creations/${id}/wallet/transactions?limit=4&cursor=${first.next_cursor}`, {
        headers: asCreation(token),
      })
    ).json()) as { transactions: Result["transaction"][]; next_cursor: null };
    expect(second.transactions.map((t) => [t.kind, t.amount])).toEqual([
      ["spend", 1],
      ["deposit", 100],
    ]);
    expect(second.next_cursor).toBeNull();
    const bad = await api(`/v1/creations/${id}/wallet/transactions?cursor=abc`, {
      headers: asCreation(token),
    });
    expect((await problemOf(bad)).code).toBe("INVALID_REQUEST");
  });
});
