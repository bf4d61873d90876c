// Stripe events in seed 002's and seed 001's shapes: a checkout or subscription moves a
// creation's end user between tiers, a deleted subscription moves them back, and seed 001's
// package purchase credits AI minutes as seconds. Each applies once, redelivered or out of order.

import { describe, expect, it } from "vitest";
import { clock } from "../src/shared/clock.ts";
import { api, asCreation } from "./helpers.ts";
import { deliverStripe } from "./stripe-helpers.ts";
import { meteredCreation, usageOf } from "./usage-helpers.ts";
import { expectCleanAudit, userWallet } from "./wallet-helpers.ts";

const now = () => Math.floor(clock.now() / 1000);

function event(type: string, created: number, object: Record<string, unknown>, extra = {}) {
  return JSON.stringify({
    id: `evt_${crypto.randomUUID().replaceAll("-", "")}`,
    type,
    created,
    livemode: true,
    data: { object },
    ...extra,
  });
}

const checkout = (
  created: number,
  metadata: Record<string, string>,
  extra: Record<string, unknown> = {},
) =>
  event("checkout.session.completed", created, {
    id: "cs_test_1",
    object: "checkout.session",
    subscription: "sub_A",
    metadata,
    ...extra,
  });

const subscriptionDeleted = (created: number, metadata: Record<string, string>, id = "sub_A") =>
  event("customer.subscription.deleted", created, {
    id,
    object: "subscription",
    status: "canceled",
    metadata,
  });

async function ack(body: string) {
  const response = await deliverStripe(body);
  expect(response.status).toBe(200);
  return (await response.json()) as { applied: boolean; replayed?: boolean; reason?: string };
}

describe("Stripe events for a creation's end users (seed 002)", () => {
  it("puts the user on the paid tier once, however often checkout.session.completed arrives", async () => {
    const creation = await meteredCreation("stripe-owner");
    const body = checkout(now(), { creation_id: creation.id, userId: "buyer", tier: "paid" });
    const acks = await Promise.all([ack(body), ack(body), ack(body)]);
    expect(acks.filter((a) => a.applied && a.replayed === false)).toHaveLength(1);
    expect(acks.filter((a) => a.applied && a.replayed === true)).toHaveLength(2);
    expect(await usageOf(creation, "buyer")).toMatchObject({ plan: "paid", limit: 500 });
  });

  it("takes the user from client_reference_id, and test events set test plans", async () => {
    const creation = await meteredCreation("stripe-owner");
    const body = event(
      "checkout.session.completed",
      now(),
      {
        id: "cs_1",
        client_reference_id: "ref-user",
        metadata: { creation_id: creation.id, plan: "paid" },
      },
      { livemode: false },
    );
    expect(await ack(body)).toMatchObject({ applied: true });
    expect(await usageOf(creation, "ref-user", "?mode=test")).toMatchObject({ plan: "paid" });
    expect(await usageOf(creation, "ref-user")).toMatchObject({ plan: "free" });
  });

  it("moves the user back to the default tier when the subscription is deleted", async () => {
    const creation = await meteredCreation("stripe-owner");
    const metadata = { creation_id: creation.id, user_id: "leaver", tier: "paid" };
    expect(await ack(checkout(now() - 10, metadata))).toMatchObject({ applied: true });
    expect(await ack(subscriptionDeleted(now(), metadata))).toMatchObject({ applied: true });
    expect(await usageOf(creation, "leaver")).toMatchObject({ plan: "free", limit: 5 });
  });

  it("ends in the same plan when the deletion arrives before the checkout", async () => {
    const creation = await meteredCreation("stripe-owner");
    const metadata = { creation_id: creation.id, user_id: "late", tier: "paid" };
    const bought = checkout(now() - 10, metadata);
    expect(await ack(subscriptionDeleted(now(), metadata))).toMatchObject({ applied: true });
    expect(await ack(bought)).toEqual({
      received: true,
      applied: false,
      reason: "older than the user's last plan change",
    });
    expect(await usageOf(creation, "late")).toMatchObject({ plan: "free" });
    // Redelivered, it is still the same answer, and still changes nothing.
    expect(await ack(bought)).toMatchObject({ applied: false });
  });

  it("does not let another subscription's deletion end the plan", async () => {
    const creation = await meteredCreation("stripe-owner");
    const metadata = { creation_id: creation.id, user_id: "two-subs", tier: "paid" };
    await ack(checkout(now() - 10, metadata));
    expect(await ack(subscriptionDeleted(now(), metadata, "sub_other"))).toMatchObject({
      applied: false,
      reason: "another subscription set the user's plan",
    });
    expect(await usageOf(creation, "two-subs")).toMatchObject({ plan: "paid" });
  });

  it("keeps a newer plan set through the API over an older event", async () => {
    const creation = await meteredCreation("stripe-owner");
    const set = await api(`/v1/creations/${creation.id}/users/api-set/plan`, {
      method: "PUT",
      headers: { ...asCreation(creation.token), "content-type": "application/json" },
      body: JSON.stringify({ plan: "free" }),
    });
    expect(set.status).toBe(200);
    const stale = checkout(now() - 60, {
      creation_id: creation.id,
      user_id: "api-set",
      tier: "paid",
    });
    expect(await ack(stale)).toMatchObject({ applied: false });
    expect(await usageOf(creation, "api-set")).toMatchObject({ plan: "free" });
  });

  it("acknowledges what it cannot apply: an unknown tier, no user, a bad creation id", async () => {
    const creation = await meteredCreation("stripe-owner");
    expect(
      await ack(checkout(now(), { creation_id: creation.id, user_id: "u", tier: "gold" })),
    ).toEqual({
      received: true,
      applied: false,
      reason: 'the creation has no tier "gold"',
    });
    expect(await ack(checkout(now(), { creation_id: creation.id, tier: "paid" }))).toEqual({
      received: true,
      applied: false,
      reason: "metadata needs user_id (or client_reference_id)",
    });
    expect(
      await ack(checkout(now(), { creation_id: "__proto__", user_id: "u", tier: "paid" })),
    ).toEqual({
      received: true,
      applied: false,
      reason: "metadata needs creation_id, and ids in their formats",
    });
    expect(await ack(checkout(now(), { creation_id: creation.id, user_id: "u" }))).toEqual({
      received: true,
      applied: false,
      reason: "metadata needs tier",
    });
    expect(await usageOf(creation, "u")).toMatchObject({ plan: "free" });
  });
});

describe("seed 001's package purchase", () => {
  it("credits minutesPurchased × 60 seconds to the paid bucket once, as a purchase of the package", async () => {
    const body = event("payment_intent.succeeded", now(), {
      id: "pi_pack1",
      object: "payment_intent",
      amount: 999,
      metadata: { userId: "minute-buyer", packageName: "booster", minutesPurchased: "30" },
    });
    const acks = await Promise.all([ack(body), ack(body)]);
    expect(acks.map((a) => a.applied)).toEqual([true, true]);
    expect(acks.filter((a) => a.replayed === false)).toHaveLength(1);
    const platform = { type: "service", id: "platform", secret_index: 0 } as const;
    const wallet = userWallet("minute-buyer");
    const view = await wallet.view("user:minute-buyer", platform);
    expect(view.buckets.find((bucket) => bucket.kind === "paid")?.remaining).toBe(1800);
    const { transactions } = await wallet.transactions("user:minute-buyer", platform, {
      limit: 10,
    });
    const purchase = transactions.filter((t) => t.description?.includes("booster"));
    expect(purchase).toHaveLength(1);
    expect(purchase[0]).toMatchObject({
      amount: 1800,
      description: "Purchase of booster (30 min): Stripe payment pi_pack1",
    });
    await expectCleanAudit(wallet);
  });

  it("acknowledges a malformed package without crediting anything", async () => {
    for (const metadata of [
      { userId: "m", packageName: "booster", minutesPurchased: "0" },
      { userId: "m", packageName: "booster", minutesPurchased: "-5" },
      { userId: "m", packageName: "booster", minutesPurchased: "1e3" },
      { userId: "m", packageName: "<script>", minutesPurchased: "5" },
    ]) {
      const body = event("payment_intent.succeeded", now(), { id: "pi_x", metadata });
      expect(await ack(body)).toMatchObject({ applied: false });
    }
  });
});
