// Commerce inside creations (seed 000): products, purchases with exact money movement and the
// creator's share through the outbox, entitlements of each type, receipts and access tokens.

import { env } from "cloudflare:workers";
import { createLocalJWKSet, jwtVerify, SignJWT } from "jose";
import { describe, expect, it } from "vitest";
import { mintAccessToken } from "../src/shared/access-tokens.ts";
import { clock, setTestClock } from "../src/shared/clock.ts";
import {
  CATALOG,
  money,
  type PurchasedBody,
  purchase,
  sellingCreation,
} from "./commerce-helpers.ts";
import { api, asCreation, bearer, createCreation, jsonInit, problemOf } from "./helpers.ts";
import { post } from "./wallet-helpers.ts";

const START_BALANCE = 3000 + 900; // welcome grant and today's gift

describe("products", () => {
  it("lists what a creation sells to anyone, as defined, per type", async () => {
    const creation = await sellingCreation("shop-owner");
    const listed = await api(`/v1/creations/${creation.id}/products`);
    expect(listed.status).toBe(200);
    const body = (await listed.json()) as { payments_enabled: boolean; products: unknown[] };
    expect(body.payments_enabled).toBe(true);
    expect(body.products).toEqual([
      {
        sku: "premium",
        name: "Premium Mode",
        description: "",
        price: 50,
        currency: "credits",
        type: "one_time",
      },
      {
        sku: "day_pass",
        name: "24-Hour Access",
        description: "",
        price: 10,
        currency: "credits",
        type: "period",
        duration_seconds: 86_400,
      },
      {
        sku: "hints",
        name: "5 Hints",
        description: "",
        price: 20,
        currency: "credits",
        type: "consumable",
        uses_total: 5,
      },
      {
        sku: "pro",
        name: "Pro Monthly",
        description: "",
        price: 100,
        currency: "credits",
        type: "subscription",
        interval: "month",
        auto_renew: true,
      },
    ]);
  });

  it("refuses a product with another type's fields, a bad price or a repeated sku", async () => {
    const creation = await createCreation("shop-owner");
    const owner = await bearer({ sub: "shop-owner" });
    for (const products of [
      [{ sku: "a", name: "A", price: 5, type: "one_time", duration_seconds: 60 }],
      [{ sku: "a", name: "A", price: 5, type: "period" }],
      [{ sku: "a", name: "A", price: 0, type: "one_time" }],
      [{ sku: "a", name: "A", price: 1.5, type: "one_time" }],
      [{ sku: "a", name: "A", price: 5, type: "rental" }],
      [{ sku: "a", name: "A", price: 5, type: "one_time", currency: "usd" }],
      [{ sku: "__proto__", name: "A", price: 5, type: "one_time" }],
      [
        { sku: "a", name: "A", price: 5, type: "one_time" },
        { sku: "a", name: "B", price: 6, type: "one_time" },
      ],
    ]) {
      const response = await api(
        `/v1/creations/${creation.id}/products`,
        jsonInit("PUT", { products }, owner),
      );
      expect(response.status, JSON.stringify(products)).toBe(400);
      expect((await problemOf(response)).code).toBe("INVALID_REQUEST");
    }
    const unchanged = await api(`/v1/creations/${creation.id}/products`);
    expect(((await unchanged.json()) as { products: unknown[] }).products).toEqual([]);
    const stranger = await api(
      `/v1/creations/${creation.id}/products`,
      jsonInit("PUT", { products: CATALOG }, await bearer({ sub: "mallory" })),
    );
    expect(stranger.status).toBe(403);
  });

  it("sells nothing until the creation takes payments", async () => {
    const creation = await createCreation("closed-owner");
    await api(
      `/v1/creations/${creation.id}/products`,
      jsonInit("PUT", { products: CATALOG }, await bearer({ sub: "closed-owner" })),
    );
    const refused = await purchase("window-shopper", creation.id, "premium");
    expect(refused.status).toBe(403);
    expect((await problemOf(refused)).code).toBe("PAYMENTS_NOT_ENABLED");
    expect(await money("window-shopper", creation.id)).toEqual({
      buyer: START_BALANCE,
      creation: 0,
    });
  });
});

describe("buying", () => {
  it("debits the buyer, grants the entitlement and credits the creator's share once", async () => {
    const creation = await sellingCreation("seller-1", { entitlement_creator_share_pct: 70 });
    const response = await purchase("buyer-1", creation.id, "premium", "op-1");
    expect(response.status).toBe(201);
    const bought = (await response.json()) as PurchasedBody;
    expect(bought.entitlement).toMatchObject({
      sku: "premium",
      type: "one_time",
      status: "active",
      active: true,
    });
    expect(bought.access_token).toMatch(/^rat_/);
    // 50 × 70 % = 35 to the creation; the platform keeps 15.
    expect(await money("buyer-1", creation.id)).toEqual({
      buyer: START_BALANCE - 50,
      creation: 35,
    });

    const retry = await purchase("buyer-1", creation.id, "premium", "op-1");
    expect(retry.status).toBe(201);
    expect(retry.headers.get("idempotent-replayed")).toBe("true");
    const again = (await retry.json()) as PurchasedBody;
    expect(again.receipt).toBe(bought.receipt);
    expect(again.transaction_id).toBe(bought.transaction_id);
    expect(await money("buyer-1", creation.id)).toEqual({
      buyer: START_BALANCE - 50,
      creation: 35,
    });

    const twice = await purchase("buyer-1", creation.id, "premium", "op-2");
    expect(twice.status).toBe(409);
    expect(await problemOf(twice)).toMatchObject({
      code: "ALREADY_PURCHASED",
      entitlement_id: bought.entitlement.id,
    });
  });

  it("sells a one-time product once of 20 concurrent purchases", async () => {
    const creation = await sellingCreation("seller-2");
    const responses = await Promise.all(
      Array.from({ length: 20 }, (_, i) => purchase("racer", creation.id, "premium", `race-${i}`)),
    );
    const statuses = responses.map((response) => response.status).sort();
    expect(statuses.filter((status) => status === 201)).toHaveLength(1);
    expect(statuses.filter((status) => status === 409)).toHaveLength(19);
    for (const response of responses.filter((r) => r.status === 409)) {
      expect((await problemOf(response)).code).toBe("ALREADY_PURCHASED");
    }
    expect(await money("racer", creation.id)).toEqual({ buyer: START_BALANCE - 50, creation: 50 });
    const list = await api("/v1/me/entitlements", { headers: await bearer({ sub: "racer" }) });
    expect(((await list.json()) as { entitlements: unknown[] }).entitlements).toHaveLength(1);
  });

  it("refuses what the wallet cannot pay with 402 and the figures, moving nothing", async () => {
    const creation = await sellingCreation("seller-3", {}, [
      { sku: "gold", name: "Gold", price: 5000, type: "one_time" },
    ]);
    const refused = await purchase("short", creation.id, "gold", "short-1");
    expect(refused.status).toBe(402);
    expect(await problemOf(refused)).toMatchObject({
      code: "INSUFFICIENT_CREDITS",
      balance: START_BALANCE,
      required: 5000,
      shortfall: 5000 - START_BALANCE,
    });
    expect(await money("short", creation.id)).toEqual({ buyer: START_BALANCE, creation: 0 });
    const check = await api(
      `/v1/me/entitlements/check?scope_type=creation&scope_id=${creation.id}&sku=gold`,
      {
        headers: await bearer({ sub: "short" }),
      },
    );
    expect(await check.json()).toEqual({
      active: false,
      uses_total: null,
      uses_remaining: null,
      expires_at: null,
    });
  });

  it("refuses an unknown sku, a malformed purchase and a creation token", async () => {
    const creation = await sellingCreation("seller-4");
    expect((await problemOf(await purchase("b4", creation.id, "nothing"))).code).toBe(
      "PRODUCT_NOT_FOUND",
    );
    const malformed = await api(
      "/v1/me/entitlements/purchase",
      jsonInit(
        "POST",
        { scope_type: "room", scope_id: creation.id, sku: "premium", client_operation_id: "x" },
        await bearer({ sub: "b4" }),
      ),
    );
    expect(malformed.status).toBe(400);
    const asCreationToken = await api(
      "/v1/me/entitlements/purchase",
      jsonInit(
        "POST",
        { scope_type: "creation", scope_id: creation.id, sku: "premium", client_operation_id: "y" },
        asCreation(creation.token),
      ),
    );
    expect(asCreationToken.status).toBe(403);
    expect(await money("b4", creation.id)).toEqual({ buyer: START_BALANCE, creation: 0 });
  });
});

describe("entitlement types", () => {
  it("extends a period when bought again, and ends it on time", async () => {
    const creation = await sellingCreation("period-owner");
    const before = clock.now();
    const first = (await (await purchase("p", creation.id, "day_pass")).json()) as PurchasedBody;
    const end = Date.parse(first.entitlement.expires_at ?? "");
    expect(end).toBeGreaterThanOrEqual(before + 86_400_000);
    expect(end).toBeLessThanOrEqual(clock.now() + 86_400_000);
    const second = (await (await purchase("p", creation.id, "day_pass")).json()) as PurchasedBody;
    expect(Date.parse(second.entitlement.expires_at ?? "")).toBe(end + 86_400_000);
    setTestClock(end + 86_400_000 + 1000);
    const check = await api(
      `/v1/me/entitlements/check?scope_type=creation&scope_id=${creation.id}&sku=day_pass`,
      {
        headers: await bearer({ sub: "p" }),
      },
    );
    expect(await check.json()).toMatchObject({ active: false });
    const verify = await api(
      `/v1/entitlements/verify?token=${encodeURIComponent(second.access_token)}`,
    );
    expect(await verify.json()).toEqual({ valid: false, reason: "expired" });
  });

  it("uses exactly 5 of 50 concurrent consumes of a 5-use consumable", async () => {
    const creation = await sellingCreation("hint-owner");
    const bought = (await (
      await purchase("thinker", creation.id, "hints")
    ).json()) as PurchasedBody;
    const path = `/v1/me/entitlements/consume/${bought.access_token}`;
    const responses = await Promise.all(
      Array.from({ length: 50 }, () =>
        api(path, { method: "POST", headers: asCreation(creation.token) }),
      ),
    );
    const ok = responses.filter((response) => response.status === 200);
    expect(ok).toHaveLength(5);
    const left = await Promise.all(
      ok.map(async (r) => ((await r.json()) as { uses_remaining: number }).uses_remaining),
    );
    expect(left.sort()).toEqual([0, 1, 2, 3, 4]);
    for (const response of responses.filter((r) => r.status !== 200)) {
      expect(response.status).toBe(409);
      expect((await problemOf(response)).code).toBe("ENTITLEMENT_EXHAUSTED");
    }
    // Bought again: five more.
    await purchase("thinker", creation.id, "hints");
    const check = await api(
      `/v1/me/entitlements/check?scope_type=creation&scope_id=${creation.id}&sku=hints`,
      {
        headers: await bearer({ sub: "thinker" }),
      },
    );
    expect(await check.json()).toMatchObject({ active: true, uses_total: 10, uses_remaining: 5 });
    const dayPass = await purchase("thinker", creation.id, "day_pass");
    expect(dayPass.status).toBe(201);
    const notConsumable = await api(
      "/v1/me/entitlements/use",
      jsonInit(
        "POST",
        { scope_type: "creation", scope_id: creation.id, sku: "day_pass" },
        await bearer({ sub: "thinker" }),
      ),
    );
    expect(await problemOf(notConsumable)).toMatchObject({
      code: "ENTITLEMENT_NOT_CONSUMABLE",
      entitlement_type: "period",
    });
    const other = await createCreation("other-owner");
    const foreign = await api(path, { method: "POST", headers: asCreation(other.token) });
    expect((await problemOf(foreign)).code).toBe("CREATION_SCOPE_MISMATCH");
  });
});

/** The text with its 11th character replaced by another: a signature no longer its own. */
const flipped = (text: string) =>
  `${text.slice(0, 10)}${text[10] === "A" ? "B" : "A"}${text.slice(11)}`;

describe("receipts and access tokens", () => {
  it("signs receipts the published key set verifies offline, and refuses tampered or foreign ones", async () => {
    const creation = await sellingCreation("receipt-owner");
    const bought = (await (await purchase("r", creation.id, "premium")).json()) as PurchasedBody;
    const jwks = await (await api("/.well-known/jwks.json")).json();
    const { payload, protectedHeader } = await jwtVerify(
      bought.receipt,
      createLocalJWKSet(jwks as never),
    );
    expect(protectedHeader).toMatchObject({ alg: "EdDSA", kid: "r2" });
    expect(payload).toMatchObject({
      user_id: "r",
      creation_id: creation.id,
      transaction_id: bought.transaction_id,
      sku: "premium",
      amount: 50,
    });
    const verified = await api(`/v1/purchase-receipts/verify?token=${bought.receipt}`);
    expect(await verified.json()).toEqual({
      valid: true,
      payload: {
        user_id: "r",
        creation_id: creation.id,
        transaction_id: bought.transaction_id,
        sku: "premium",
        amount: 50,
        purchased_at: payload.purchased_at,
      },
    });
    const [header, body, signature] = bought.receipt.split(".") as [string, string, string];
    const forgedBody = btoa(JSON.stringify({ ...payload, amount: 1 }))
      .replace(/=+$/, "")
      .replace(/\+/g, "-")
      .replace(/\//g, "_");
    const foreignKey = await crypto.subtle.generateKey({ name: "Ed25519" }, true, [
      "sign",
      "verify",
    ]);
    const foreign = await new SignJWT({ ...payload })
      .setProtectedHeader({ alg: "EdDSA", kid: "r2" })
      .sign((foreignKey as CryptoKeyPair).privateKey);
    for (const token of [
      `${header}.${forgedBody}.${signature}`,
      `${header}.${body}.${flipped(signature)}`,
      foreign,
      "not-a-jws",
      `${header}.${body}`,
    ]) {
      const response = await api("/v1/purchase-receipts/verify", jsonInit("POST", { token }));
      expect(await response.json(), token).toEqual({ valid: false });
    }
  });

  it("tells a creation what a token grants but not who holds it, differently per creation", async () => {
    const a = await sellingCreation("token-owner-a");
    const b = await sellingCreation("token-owner-b");
    const atA = (await (await purchase("holder", a.id, "premium")).json()) as PurchasedBody;
    const atB = (await (await purchase("holder", b.id, "premium")).json()) as PurchasedBody;
    const verifyA = (await (
      await api(`/v1/entitlements/verify?token=${atA.access_token}`)
    ).json()) as Record<string, unknown>;
    expect(verifyA).toMatchObject({
      valid: true,
      sku: "premium",
      type: "one_time",
      uses_remaining: null,
      expires_at: null,
    });
    expect(JSON.stringify(verifyA)).not.toContain("holder");
    const refreshed = await api(
      `/v1/me/entitlements/access-token?scope_type=creation&scope_id=${a.id}&sku=premium`,
      {
        headers: await bearer({ sub: "holder" }),
      },
    );
    const { access_token } = (await refreshed.json()) as { access_token: string };
    const again = await api("/v1/entitlements/verify", jsonInit("POST", { access_token }));
    const verifyB = await api(`/v1/entitlements/verify?token=${atB.access_token}`);
    const idA = verifyA.entitlement_id;
    expect(((await again.json()) as { entitlement_id: string }).entitlement_id).toBe(idA);
    expect(((await verifyB.json()) as { entitlement_id: string }).entitlement_id).not.toBe(idA);
  });

  it("refuses a budget token where an entitlement token is expected, and the other way round", async () => {
    const creation = await sellingCreation("kind-owner");
    const bought = (await (
      await purchase("kinds", creation.id, "premium")
    ).json()) as PurchasedBody;
    const { token: budget } = await mintAccessToken(env.TOKEN_SECRET, "kinds", creation.id);
    const verify = await api(`/v1/entitlements/verify?token=${budget}`);
    expect(verify.status).toBe(403);
    expect((await problemOf(verify)).code).toBe("ACCESS_TOKEN_WRONG_KIND");
    const spend = await post(
      "/v1/me/credits/spend",
      { amount: 1, type: "x", on_behalf_of_access_token: bought.access_token },
      asCreation(creation.token),
    );
    expect(spend.status).toBe(403);
    expect((await problemOf(spend)).code).toBe("ACCESS_TOKEN_WRONG_KIND");
    const garbage = await api("/v1/entitlements/verify?token=rat_nope");
    expect(await garbage.json()).toEqual({ valid: false, reason: "not genuine" });
  });
});

describe("agents and expiry", () => {
  it("lets an agent buy for its user, the purchase attributed to it", async () => {
    const creation = await sellingCreation("agent-shop");
    const agent = await bearer({
      sub: "principal",
      claims: { agent_id: "principal/shopper", name: "Shopper" },
    });
    const bought = await api(
      "/v1/me/entitlements/purchase",
      jsonInit(
        "POST",
        {
          scope_type: "creation",
          scope_id: creation.id,
          sku: "premium",
          client_operation_id: "agent-1",
        },
        agent,
      ),
    );
    expect(bought.status).toBe(201);
    const { transaction_id } = (await bought.json()) as PurchasedBody;
    const page = await api("/v1/me/wallet/transactions?limit=5", {
      headers: await bearer({ sub: "principal" }),
    });
    const { transactions } = (await page.json()) as { transactions: Record<string, unknown>[] };
    expect(transactions.find((t) => t.id === transaction_id)).toMatchObject({
      kind: "purchase",
      amount: 50,
      agent_id: "principal/shopper",
      creation_id: creation.id,
    });
  });

  it("stops honouring an access token after its 30 minutes, until refreshed", async () => {
    const creation = await sellingCreation("ttl-shop");
    const bought = (await (await purchase("ttl", creation.id, "premium")).json()) as PurchasedBody;
    setTestClock(clock.now() + 30 * 60 * 1000 + 1_000);
    const stale = await api(
      "/v1/entitlements/verify",
      jsonInit("POST", { access_token: bought.access_token }),
    );
    expect(await stale.json()).toEqual({ valid: false, reason: "expired" });
    const consume = await api(`/v1/me/entitlements/consume/${bought.access_token}`, {
      method: "POST",
      headers: asCreation(creation.token),
    });
    expect((await problemOf(consume)).code).toBe("ENTITLEMENT_TOKEN_EXPIRED");
    const refreshed = await api(
      `/v1/me/entitlements/access-token?scope_type=creation&scope_id=${creation.id}&sku=premium`,
      { headers: await bearer({ sub: "ttl" }) },
    );
    const { access_token } = (await refreshed.json()) as { access_token: string };
    const fresh = await api("/v1/entitlements/verify", jsonInit("POST", { access_token }));
    expect(await fresh.json()).toMatchObject({ valid: true, sku: "premium" });
  });
});
