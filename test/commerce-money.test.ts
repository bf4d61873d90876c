// Commerce money paths under failure and time: the creator's share credited exactly once when
// the message is redelivered and when the buyer's wallet is evicted between the debit and the
// credit; subscriptions renewed, carried through a grace and lapsed, with the clock under test
// control; the sales summary adding up.

import { evictDurableObject, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { buy } from "../src/actors/wallet/purchases.ts";
import type { WalletDO } from "../src/actors/wallet/wallet-do.ts";
import { clock, setTestClock } from "../src/shared/clock.ts";
import {
  buyerWalletName,
  creationWalletName,
  money,
  type PurchasedBody,
  purchase,
  sellingCreation,
} from "./commerce-helpers.ts";
import { api, asCreation, bearer, jsonInit } from "./helpers.ts";
import { asService, creationWallet } from "./wallet-helpers.ts";

const START_BALANCE = 3000 + 900;

async function salesOf(creationId: string, owner: string) {
  const response = await api(`/v1/creations/${creationId}/sales/summary`, {
    headers: await bearer({ sub: owner }),
  });
  expect(response.status).toBe(200);
  return (await response.json()) as Record<string, unknown>;
}

describe("the creator's share", () => {
  it("is credited once when the sale message is delivered again", async () => {
    const creation = await sellingCreation("redeliver-owner", {
      entitlement_creator_share_pct: 80,
    });
    const bought = (await (
      await purchase("again", creation.id, "premium")
    ).json()) as PurchasedBody;
    const envelope = {
      id: crypto.randomUUID(),
      message: {
        to: creationWalletName(creation.id),
        from: buyerWalletName("again"),
        sale_id: bought.transaction_id,
        kind: "purchase",
        sku: "premium",
        gross: 50,
        creator_share: 40,
        sold_at: clock.now(),
        description: "Sale of Premium Mode (premium)",
      },
    } as const;
    // The sale delivered again, in its own envelope and in another (as after a lost
    // acknowledgement, or a refund that recorded it first): once in effect.
    const wallet = creationWallet(creation.id);
    await wallet.receiveSale(envelope);
    await wallet.receiveSale(envelope);
    await wallet.receiveSale({ ...envelope, id: crypto.randomUUID() });
    expect(await money("again", creation.id)).toEqual({ buyer: START_BALANCE - 50, creation: 40 });
    expect(await salesOf(creation.id, "redeliver-owner")).toMatchObject({
      count: 1,
      gross: 50,
      creator_share: 40,
    });
  });

  it("is credited once when the buyer's wallet is evicted between the debit and the credit", async () => {
    const creation = await sellingCreation("evict-owner", { entitlement_creator_share_pct: 60 });
    const offer = await env.CREATION.getByName(creation.id).offer("premium");
    const buyer = env.WALLET.getByName(buyerWalletName("evicted"));
    // The purchase's transaction, committed, and nothing delivered yet.
    await runInDurableObject(buyer, async (instance: WalletDO) => {
      // The wallet's own parts, reached inside the actor (TypeScript's private is not runtime).
      const wallet = instance as unknown as {
        book: { open(name: string): Promise<never> };
        commerce: { entitlements: never; host: { purchases: never } };
        ctx: DurableObjectState;
      };
      const account = await wallet.book.open(buyerWalletName("evicted"));
      wallet.ctx.storage.transactionSync(() =>
        buy(
          wallet.book as never,
          wallet.commerce.entitlements,
          wallet.commerce.host.purchases,
          account,
          offer as never,
          clock.now(),
        ),
      );
    });
    expect(await money("evicted", creation.id)).toEqual({ buyer: START_BALANCE - 50, creation: 0 });
    await evictDurableObject(buyer);
    // The outbox's delivery job runs after the eviction, on the wallet's alarm.
    await runDurableObjectAlarm(buyer);
    expect(await money("evicted", creation.id)).toEqual({
      buyer: START_BALANCE - 50,
      creation: 30,
    });
    await evictDurableObject(buyer);
    await runDurableObjectAlarm(buyer);
    expect(await money("evicted", creation.id)).toEqual({
      buyer: START_BALANCE - 50,
      creation: 30,
    });
    expect(await salesOf(creation.id, "evict-owner")).toMatchObject({
      count: 1,
      gross: 50,
      creator_share: 30,
      platform_share: 20,
    });
  });
});

/** A subscription dearer than the daily gift (900), so a renewal the wallet cannot pay is not
 *  paid by the next day's gift either. */
const PREMIUM_SUBSCRIPTION = [
  { sku: "pro", name: "Pro Monthly", price: 1000, type: "subscription", interval: "month" },
];

describe("subscriptions", () => {
  it("renew every interval on the wallet's scheduler, then lapse after the grace when unpaid", async () => {
    const creation = await sellingCreation("sub-owner", {}, PREMIUM_SUBSCRIPTION);
    const user = "subscriber";
    const bought = (await (await purchase(user, creation.id, "pro")).json()) as PurchasedBody;
    const firstEnd = Date.parse(bought.entitlement.expires_at ?? "");
    const wallet = env.WALLET.getByName(buyerWalletName(user));

    setTestClock(firstEnd + 1_000);
    await runDurableObjectAlarm(wallet);
    const check = async () =>
      (await (
        await api(`/v1/me/entitlements/check?scope_type=creation&scope_id=${creation.id}&sku=pro`, {
          headers: await bearer({ sub: user }),
        })
      ).json()) as { active: boolean; expires_at: string | null };
    const renewed = await check();
    expect(renewed.active).toBe(true);
    const secondEnd = Date.parse(renewed.expires_at ?? "");
    expect(secondEnd).toBeGreaterThan(firstEnd + 27 * 86_400_000);
    expect(await money(user, creation.id)).toMatchObject({ creation: 2000 });

    // Spend everything, so the next renewal cannot be paid.
    const balance = (await money(user, creation.id)).buyer;
    const drained = await api(
      "/v1/me/credits/spend",
      jsonInit("POST", { amount: balance, type: "drain" }, await bearer({ sub: user })),
    );
    expect(drained.status).toBe(200);
    setTestClock(secondEnd + 1_000);
    await runDurableObjectAlarm(wallet);
    expect((await check()).active).toBe(true); // in its grace, retrying
    setTestClock(secondEnd + 3 * 86_400_000 + 1_000);
    await runDurableObjectAlarm(wallet);
    await runDurableObjectAlarm(wallet);
    expect((await check()).active).toBe(false);
    const list = await api(`/v1/me/entitlements?scope_id=${creation.id}`, {
      headers: await bearer({ sub: user }),
    });
    const [entitlement] = ((await list.json()) as { entitlements: Record<string, unknown>[] })
      .entitlements;
    expect(entitlement).toMatchObject({ status: "lapsed", active: false, auto_renew: false });
    expect(entitlement?.lapse_reason).toBe(
      "The renewal of 1000 credits could not be paid (insufficient credits) within the 72 h grace.",
    );
    expect(await money(user, creation.id)).toMatchObject({ creation: 2000 });
  });

  it("stops renewing when cancelled, and stays active to the period's end", async () => {
    const creation = await sellingCreation("cancel-owner", {}, PREMIUM_SUBSCRIPTION);
    const bought = (await (
      await purchase("canceller", creation.id, "pro")
    ).json()) as PurchasedBody;
    const cancelled = await api(`/v1/me/entitlements/${bought.entitlement.id}/cancel`, {
      method: "POST",
      headers: await bearer({ sub: "canceller" }),
    });
    expect(await cancelled.json()).toMatchObject({ active: true, auto_renew: false });
    const end = Date.parse(bought.entitlement.expires_at ?? "");
    setTestClock(end + 1_000);
    const wallet = env.WALLET.getByName(buyerWalletName("canceller"));
    await runDurableObjectAlarm(wallet);
    // Not charged again: the creation got the one payment; no renewal is waiting.
    expect(await money("canceller", creation.id)).toMatchObject({ creation: 1000 });
    const jobs = await wallet.listSchedules();
    expect(jobs.filter((job) => job.task === "renew-subscription")).toEqual([]);
    const check = await api(
      `/v1/me/entitlements/check?scope_type=creation&scope_id=${creation.id}&sku=pro`,
      {
        headers: await bearer({ sub: "canceller" }),
      },
    );
    expect(await check.json()).toMatchObject({ active: false });
  });
});

describe("the sales summary", () => {
  it("adds up gross, shares and counts per sku for the owner, the creation and its keys", async () => {
    const creation = await sellingCreation("summary-seller", { entitlement_creator_share_pct: 75 });
    await purchase("s1", creation.id, "premium");
    await purchase("s2", creation.id, "premium");
    await purchase("s1", creation.id, "hints");
    const byToken = await api(`/v1/creations/${creation.id}/sales/summary`, {
      headers: asCreation(creation.token),
    });
    const summary = (await byToken.json()) as Record<string, unknown>;
    expect(summary).toMatchObject({
      creation_id: creation.id,
      gross: 120,
      creator_share: 37 + 37 + 15,
      platform_share: 120 - 89,
      count: 3,
      refunds: { count: 0, gross: 0, creator_share: 0 },
    });
    expect(summary.by_sku).toEqual([
      {
        sku: "premium",
        kind: "purchase",
        count: 2,
        gross: 100,
        creator_share: 74,
        platform_share: 26,
      },
      { sku: "hints", kind: "purchase", count: 1, gross: 20, creator_share: 15, platform_share: 5 },
    ]);
    const future = new Date(clock.now() + 86_400_000).toISOString();
    const none = await api(`/v1/creations/${creation.id}/sales/summary?from=${future}`, {
      headers: asCreation(creation.token),
    });
    expect(await none.json()).toMatchObject({ count: 0, gross: 0, by_sku: [] });
    const stranger = await api(`/v1/creations/${creation.id}/sales/summary`, {
      headers: await bearer({ sub: "eve" }),
    });
    expect(stranger.status).toBe(403);
    const platform = await asService("GET", `/v1/creations/${creation.id}/sales/summary`);
    expect(await platform.json()).toMatchObject({ count: 3, gross: 120 });
    const owner = await bearer({ sub: "summary-seller" });
    const keyFor = async (scopes: string[]) => {
      const created = await api(
        `/v1/creations/${creation.id}/keys`,
        jsonInit("POST", { kind: "secret", mode: "live", name: "books", scopes }, owner),
      );
      return ((await created.json()) as { key: string }).key;
    };
    const reader = await api(`/v1/creations/${creation.id}/sales/summary`, {
      headers: { "x-api-key": await keyFor(["sales:read"]) },
    });
    expect(await reader.json()).toMatchObject({ count: 3, gross: 120, creator_share: 89 });
    const unscoped = await api(`/v1/creations/${creation.id}/sales/summary`, {
      headers: { "x-api-key": await keyFor(["usage:read"]) },
    });
    expect(unscoped.status).toBe(403);
    expect(((await unscoped.json()) as { code: string }).code).toBe("KEY_SCOPE_DENIED");
  });
});

describe("refunds", () => {
  // Each call signed apart (a verbatim copy of a signed request is refused as a replay).
  let signed = 0;
  const refund = (transactionId: string) =>
    asService("POST", `/v1/purchases/${transactionId}/refund`, undefined, {
      nowSeconds: Math.floor(clock.now() / 1000) - (signed++ % 200),
    });

  it("return the price, end the entitlement and take the creator's share back, once", async () => {
    const creation = await sellingCreation("refund-owner", { entitlement_creator_share_pct: 70 });
    const bought = (await (
      await purchase("refunded", creation.id, "premium")
    ).json()) as PurchasedBody;
    expect(await money("refunded", creation.id)).toEqual({
      buyer: START_BALANCE - 50,
      creation: 35,
    });
    const [first, second] = await Promise.all([
      refund(bought.transaction_id),
      refund(bought.transaction_id),
    ]);
    expect([first?.status, second?.status]).toEqual([200, 200]);
    const body = (await first?.json()) as Record<string, unknown>;
    expect(body).toMatchObject({
      transaction: { kind: "refund", amount: 50, refund_of: bought.transaction_id },
      balance: START_BALANCE,
      entitlement: { status: "refunded", active: false },
      creator_share_returned: 35,
    });
    expect(await money("refunded", creation.id)).toEqual({ buyer: START_BALANCE, creation: 0 });
    const later = await refund(bought.transaction_id);
    expect(later.status).toBe(200);
    expect(later.headers.get("idempotent-replayed")).toBe("true");
    expect(await money("refunded", creation.id)).toEqual({ buyer: START_BALANCE, creation: 0 });
    const verify = await api(`/v1/entitlements/verify?token=${bought.access_token}`);
    expect(await verify.json()).toEqual({ valid: false, reason: "refunded" });
    expect(await salesOf(creation.id, "refund-owner")).toMatchObject({
      count: 1,
      gross: 50,
      refunds: { count: 1, gross: 50, creator_share: 35 },
    });
    // Refunded, a one-time product can be bought again.
    expect((await purchase("refunded", creation.id, "premium")).status).toBe(201);
  });

  it("are refused, moving nothing, when the creation has spent its share", async () => {
    const creation = await sellingCreation("spent-owner");
    const bought = (await (
      await purchase("unlucky", creation.id, "premium")
    ).json()) as PurchasedBody;
    const spent = await api(
      `/v1/creations/${creation.id}/wallet/spend`,
      jsonInit("POST", { amount: 45, type: "llm" }, asCreation(creation.token)),
    );
    expect(spent.status).toBe(200);
    const refused = await refund(bought.transaction_id);
    expect(refused.status).toBe(409);
    expect(await refused.json()).toMatchObject({
      code: "CREATION_FUNDS_SHORT_FOR_REFUND",
      balance: 5,
      required: 50,
      shortfall: 45,
    });
    expect(await money("unlucky", creation.id)).toEqual({ buyer: START_BALANCE - 50, creation: 5 });
    const check = await api(
      `/v1/me/entitlements/check?scope_type=creation&scope_id=${creation.id}&sku=premium`,
      {
        headers: await bearer({ sub: "unlucky" }),
      },
    );
    expect(await check.json()).toMatchObject({ active: true });
  });

  it("are for the platform only, and only of purchases", async () => {
    const creation = await sellingCreation("refund-guard");
    const bought = (await (
      await purchase("guarded", creation.id, "premium")
    ).json()) as PurchasedBody;
    const asUser = await api(`/v1/purchases/${bought.transaction_id}/refund`, {
      method: "POST",
      headers: await bearer({ sub: "guarded" }),
    });
    expect(asUser.status).toBe(403);
    expect(((await asUser.json()) as { code: string }).code).toBe("FORBIDDEN");
    const asCreationToken = await api(`/v1/purchases/${bought.transaction_id}/refund`, {
      method: "POST",
      headers: asCreation(creation.token),
    });
    expect(asCreationToken.status).toBe(403);
    expect(((await asCreationToken.json()) as { code: string }).code).toBe("CREATION_SCOPE_DENIED");
    for (const id of ["txn_123", "pur_x.0", "pur_Z3VhcmRlZA.00000000000000000000000000000000"]) {
      const missing = await refund(id);
      expect(missing.status, id).toBe(404);
      expect(((await missing.json()) as { code: string }).code).toBe("TRANSACTION_NOT_FOUND");
    }
    expect(await money("guarded", creation.id)).toEqual({
      buyer: START_BALANCE - 50,
      creation: 50,
    });
  });
});

describe("freeform payments", () => {
  it("move credits to the creation with its share, once per operation, with a receipt", async () => {
    const creation = await sellingCreation("tip-owner", { entitlement_creator_share_pct: 90 });
    const tip = (operation: string, amount = 25) =>
      api(
        "/v1/me/payments",
        jsonInit(
          "POST",
          {
            creation_id: creation.id,
            amount,
            description: "Thanks!",
            client_operation_id: operation,
          },
          asUser,
        ),
      );
    const asUser = await bearer({ sub: "tipper" });
    const responses = await Promise.all([tip("tip-1"), tip("tip-1"), tip("tip-1")]);
    expect(responses.map((response) => response.status)).toEqual([201, 201, 201]);
    const bodies = await Promise.all(responses.map((response) => response.json()));
    expect(new Set(bodies.map((body) => JSON.stringify(body))).size).toBe(1);
    const paid = bodies[0] as { receipt: string; transaction_id: string };
    expect(paid).toMatchObject({
      creation_id: creation.id,
      amount: 25,
      creator_share: 22,
      balance: START_BALANCE - 25,
    });
    expect(await money("tipper", creation.id)).toEqual({ buyer: START_BALANCE - 25, creation: 22 });
    const verified = await api(`/v1/purchase-receipts/verify?token=${paid.receipt}`);
    expect(await verified.json()).toMatchObject({
      valid: true,
      payload: { user_id: "tipper", sku: null, amount: 25, transaction_id: paid.transaction_id },
    });
    const reused = await tip("tip-1", 30);
    expect(reused.status).toBe(422);
    expect(await salesOf(creation.id, "tip-owner")).toMatchObject({
      count: 1,
      gross: 25,
      creator_share: 22,
      platform_share: 3,
      by_sku: [{ sku: null, kind: "payment", count: 1, gross: 25 }],
    });
  });

  it("are refused to a creation that takes no payments, and over the balance", async () => {
    const closed = await sellingCreation("closed-tips", { permissions: [] });
    const asUser = await bearer({ sub: "tipper-2" });
    const refused = await api(
      "/v1/me/payments",
      jsonInit(
        "POST",
        { creation_id: closed.id, amount: 5, description: "x", client_operation_id: "a" },
        asUser,
      ),
    );
    expect((await refused.json()) as Record<string, unknown>).toMatchObject({
      code: "PAYMENTS_NOT_ENABLED",
    });
    const open = await sellingCreation("open-tips");
    const tooMuch = await api(
      "/v1/me/payments",
      jsonInit(
        "POST",
        { creation_id: open.id, amount: 10_000, description: "x", client_operation_id: "b" },
        asUser,
      ),
    );
    expect(tooMuch.status).toBe(402);
    expect(await money("tipper-2", open.id)).toEqual({ buyer: START_BALANCE, creation: 0 });
  });
});

describe("deposits", () => {
  async function openDeposit(user: string, creationId: string, amount: number, ttl = 600) {
    const response = await api(
      "/v1/me/deposits",
      jsonInit(
        "POST",
        {
          creation_id: creationId,
          amount,
          ttl_seconds: ttl,
          client_operation_id: crypto.randomUUID(),
        },
        await bearer({ sub: user }),
      ),
    );
    return response;
  }
  const settle = (
    creation: { id: string; token: string },
    depositId: string,
    action: string,
    body = {},
  ) =>
    api(
      `/v1/creations/${creation.id}/deposits/${depositId}/${action}`,
      jsonInit("POST", body, asCreation(creation.token)),
    );

  it("hold credits the creation captures up to, its share credited, the rest returned", async () => {
    const creation = await sellingCreation("deposit-owner", { entitlement_creator_share_pct: 50 });
    const opened = await openDeposit("depositor", creation.id, 100);
    expect(opened.status).toBe(201);
    const deposit = (await opened.json()) as { deposit_id: string; balance: number };
    expect(deposit).toMatchObject({
      amount: 100,
      status: "active",
      captured: null,
      balance: START_BALANCE - 100,
    });
    expect(deposit.deposit_id).toMatch(/^dep_/);

    const [first, again] = await Promise.all([
      settle(creation, deposit.deposit_id, "capture", { amount: 60 }),
      settle(creation, deposit.deposit_id, "capture", { amount: 60 }),
    ]);
    expect([first.status, again.status]).toEqual([200, 200]);
    expect(await first.json()).toMatchObject({
      status: "captured",
      captured: 60,
      creator_share: 30,
    });
    expect(await money("depositor", creation.id)).toEqual({
      buyer: START_BALANCE - 60,
      creation: 30,
    });
    const late = await settle(creation, deposit.deposit_id, "release");
    expect(late.status).toBe(409);
    expect(await salesOf(creation.id, "deposit-owner")).toMatchObject({
      count: 1,
      gross: 60,
      creator_share: 30,
    });
  });

  it("are released by the creation or by their expiry, and refused to strangers and past the hold", async () => {
    const creation = await sellingCreation("deposit-owner-2");
    const released = (await (await openDeposit("d2", creation.id, 40)).json()) as {
      deposit_id: string;
    };
    expect(await (await settle(creation, released.deposit_id, "release")).json()).toMatchObject({
      status: "released",
    });
    const expiring = (await (await openDeposit("d2", creation.id, 70, 30)).json()) as {
      deposit_id: string;
    };
    const tooMuch = await settle(creation, expiring.deposit_id, "capture", { amount: 71 });
    expect(tooMuch.status).toBe(422);
    const other = await sellingCreation("deposit-thief");
    const stolen = await settle(other, expiring.deposit_id, "capture");
    expect(stolen.status).toBe(404);
    expect(await money("d2", creation.id)).toEqual({ buyer: START_BALANCE - 70, creation: 0 });
    setTestClock(clock.now() + 31_000);
    await runDurableObjectAlarm(env.WALLET.getByName(buyerWalletName("d2")));
    expect(await money("d2", creation.id)).toEqual({ buyer: START_BALANCE, creation: 0 });
    const afterExpiry = await settle(creation, expiring.deposit_id, "capture");
    expect(afterExpiry.status).toBe(409);
    const forged = await settle(
      creation,
      "dep_bm9ib2R5.hold_00000000-0000-0000-0000-000000000000",
      "capture",
    );
    expect(forged.status).toBe(404);
    const short = await openDeposit("d2", creation.id, 100_000);
    expect(short.status).toBe(402);
  });
});
