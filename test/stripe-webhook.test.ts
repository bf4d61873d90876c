import { describe, expect, it } from "vitest";
import { clock } from "../src/shared/clock.ts";
import { api, createCreation, problemOf } from "./helpers.ts";
import { deliverStripe, stripeHeader } from "./stripe-helpers.ts";
import { expectCleanAudit, userWallet } from "./wallet-helpers.ts";

const paymentEvent = (id: string, metadata: Record<string, string>) =>
  JSON.stringify({
    id,
    type: "payment_intent.succeeded",
    created: 1_790_000_000,
    data: { object: { id: `pi_${id}`, object: "payment_intent", amount: 999, metadata } },
  });

const deliver = deliverStripe;

describe("POST /v1/webhooks/stripe", () => {
  it("credits paid credits once, however often the event is delivered", async () => {
    const body = paymentEvent("evt_once", { user_id: "payer", amount: "7200" });
    const deliveries = await Promise.all([deliver(body), deliver(body), deliver(body)]);
    const acks = await Promise.all(deliveries.map((response) => response.json()));
    expect(deliveries.map((response) => response.status)).toEqual([200, 200, 200]);
    expect(acks.filter((ack) => (ack as { replayed: boolean }).replayed === false)).toHaveLength(1);
    expect(acks.filter((ack) => (ack as { replayed: boolean }).replayed === true)).toHaveLength(2);
    const wallet = await userWallet("payer").view("user:payer", {
      type: "service",
      id: "platform",
      secret_index: 0,
    });
    expect(wallet.buckets.find((bucket) => bucket.kind === "paid")?.remaining).toBe(7200);
    expect(wallet.balance).toBe(3000 + 900 + 7200);
    await expectCleanAudit(userWallet("payer"));
  });

  it("credits a creation's wallet when the metadata names a creation", async () => {
    const { id } = await createCreation();
    const response = await deliver(
      paymentEvent("evt_creation", { creation_id: id, amount: "500" }),
    );
    expect(await response.json()).toEqual({ received: true, applied: true, replayed: false });
  });

  it("is 400 and changes nothing for a wrong, missing, stale or malformed signature", async () => {
    const body = paymentEvent("evt_forged", { user_id: "forger", amount: "100000" });
    const now = Math.floor(clock.now() / 1000);
    for (const signature of [
      await stripeHeader(body, { secret: "whsec_wrong" }),
      await stripeHeader(body, { at: now - 301 }),
      await stripeHeader(body, { at: now + 301 }),
      "t=abc,v1=00",
    ]) {
      const response = await deliver(body, signature);
      expect(response.status).toBe(400);
      expect((await problemOf(response)).code).toBe("INVALID_STRIPE_SIGNATURE");
    }
    const unsigned = await api("/v1/webhooks/stripe", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body,
    });
    expect(unsigned.status).toBe(400);
    expect((await problemOf(unsigned)).code).toBe("INVALID_STRIPE_SIGNATURE");
    const audit = await userWallet("forger").audit();
    expect(audit.ledger_total).toBe(0);
  });

  it("is 400 INVALID_JSON or INVALID_REQUEST for a genuine signature over a body that is no event", async () => {
    const garbage = await deliver("{not json");
    expect((await problemOf(garbage)).code).toBe("INVALID_JSON");
    const notEvent = await deliver(
      JSON.stringify({ id: "evt_x", type: "payment_intent.succeeded" }),
    );
    expect(await problemOf(notEvent)).toMatchObject({
      code: "INVALID_REQUEST",
      detail: expect.stringMatching(/^body data: /),
    });
  });

  it("accepts any of several v1 signatures, and acknowledges events it cannot apply", async () => {
    const body = paymentEvent("evt_rolled", { user_id: "roller", amount: "10" });
    const t = Math.floor(clock.now() / 1000);
    const good = (await stripeHeader(body, { at: t })).split(",")[1];
    const rolled = await deliver(body, `t=${t},v1=${"ab".repeat(32)},${good}`);
    expect(await rolled.json()).toMatchObject({ applied: true });

    const other = JSON.stringify({
      id: "evt_other",
      type: "charge.refunded",
      data: { object: {} },
    });
    expect(await (await deliver(other)).json()).toEqual({
      received: true,
      applied: false,
      reason: "event type not handled",
    });
    const noMetadata = await deliver(paymentEvent("evt_nometa", {}));
    expect(await noMetadata.json()).toMatchObject({
      applied: false,
      reason: expect.stringContaining("metadata"),
    });
    const unknown = await deliver(
      paymentEvent("evt_unknown", { creation_id: crypto.randomUUID(), amount: "5" }),
    );
    expect(await unknown.json()).toEqual({
      received: true,
      applied: false,
      reason: "CREATION_NOT_FOUND",
    });
  });
});
