// Property-based fuzzing of the inputs metering and commerce read outside their JSON bodies
// (which routes.fuzz.test.ts covers for every operation): ids that name a wallet, access
// tokens and receipts, summary cursors and instants, and the Stripe events that set plans and
// credit packages. After every case:
//   - an id parser never throws, and reads back only the ids it makes (and makes them for any
//     user id, prototype names and astral characters included);
//   - a hostile token, receipt, id or cursor is a 4xx with its code or a `valid: false`, never
//     a 5xx, and no watched balance or plan moves;
//   - a Stripe event with hostile metadata is acknowledged (200); applied at most once however
//     often it is delivered; a plan only ever names one of the creation's tiers, and a package
//     credits exactly minutesPurchased × 60, once, only for well-formed metadata;
//   - Object.prototype stays clean.

import * as fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  buyerOfPurchase,
  newPurchaseId,
  readDepositId,
} from "../../src/actors/wallet/routed-ids.ts";
import { clock } from "../../src/shared/clock.ts";
import { money, type PurchasedBody, purchase, sellingCreation } from "../commerce-helpers.ts";
import { api, asCreation, bearer, jsonInit } from "../helpers.ts";
import { deliverStripe } from "../stripe-helpers.ts";
import { meteredCreation, usageOf, usagePath } from "../usage-helpers.ts";
import { asService, userWallet } from "../wallet-helpers.ts";
import { CONTROL_STRINGS, ODD_STRINGS } from "./hostile.ts";
import { suiteBudget } from "./settings.ts";

const budget = suiteBudget("commerce inputs", 4);
const START_BALANCE = 3000 + 900;

/** Text a client could put where an id, a token or a cursor goes. */
const hostileText = fc.oneof(
  fc.string({ maxLength: 80 }),
  fc.string({ unit: "binary", maxLength: 40 }),
  fc.base64String({ maxLength: 120 }),
  fc.constantFrom(...ODD_STRINGS, ...CONTROL_STRINGS),
  fc.constantFrom(
    "rat_",
    "rat_.",
    "pur_.",
    "dep_.hold_",
    "eyJhbGciOiJub25lIn0.e30.",
    "W10",
    "WzEsIl9fcHJvdG9fXyJd",
  ),
  fc.nat({ max: 5_000 }).map((n) => "A".repeat(n)),
);

/** The same text with one character replaced: a genuine credential no longer its own. */
const mutatedAt = (text: string, at: number, char: string) =>
  `${text.slice(0, at % text.length)}${char}${text.slice((at % text.length) + 1)}`;

const prototypeClean = () => {
  expect(Object.keys(Object.prototype)).toEqual([]);
  expect(({} as Record<string, unknown>).polluted).toBeUndefined();
};

describe("ids that name a wallet", () => {
  it("round-trip any user id, and read nothing else", () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string({ minLength: 1, maxLength: 60, unit: "grapheme" }),
          fc.constantFrom("__proto__", "constructor"),
        ),
        hostileText,
        (userId, junk) => {
          const id = newPurchaseId(userId);
          expect(buyerOfPurchase(id)).toBe(userId);
          const read = buyerOfPurchase(junk);
          if (read !== null) expect(junk.startsWith("pur_")).toBe(true);
          const deposit = readDepositId(junk);
          if (deposit !== null) expect(junk.startsWith("dep_")).toBe(true);
          prototypeClean();
        },
      ),
      budget.parameters(),
    );
  });
});

describe("hostile tokens, receipts, ids and cursors over HTTP", () => {
  it(
    "are refused with a code or answered valid: false, moving nothing",
    async () => {
      const creation = await sellingCreation("fuzz-inputs-owner");
      const bought = (await (
        await purchase("fuzz-inputs-buyer", creation.id, "hints")
      ).json()) as PurchasedBody;
      const before = await money("fuzz-inputs-buyer", creation.id);
      const genuine = [bought.access_token, bought.receipt, bought.transaction_id];
      let signed = 0;
      await fc.assert(
        fc.asyncProperty(
          fc.oneof(
            hostileText,
            fc
              .tuple(
                fc.constantFrom(...genuine),
                fc.nat(),
                fc.constantFrom("A", "_", "-", ".", "0"),
              )
              .map(([text, at, char]) => mutatedAt(text, at, char)),
          ),
          async (text) => {
            const encoded = encodeURIComponent(text);
            const answers = await Promise.all([
              api(`/v1/entitlements/verify?token=${encoded}`),
              api("/v1/entitlements/verify", jsonInit("POST", { access_token: text })),
              api("/v1/purchase-receipts/verify", jsonInit("POST", { token: text })),
              api(`/v1/me/entitlements/consume/${encoded}`, {
                method: "POST",
                headers: asCreation(creation.token),
              }),
              api(
                `/v1/creations/${creation.id}/deposits/${encoded}/capture`,
                jsonInit("POST", {}, asCreation(creation.token)),
              ),
              asService("POST", `/v1/purchases/${encoded}/refund`, undefined, {
                nowSeconds: Math.floor(clock.now() / 1000) - 250 + (signed++ % 500),
              }),
              api(`${usagePath(creation.id)}?cursor=${encoded}`, {
                headers: asCreation(creation.token),
              }),
              api(`/v1/creations/${creation.id}/sales/summary?from=${encoded}`, {
                headers: asCreation(creation.token),
              }),
            ]);
            for (const response of answers) {
              const label = `${response.url} → ${response.status}`;
              expect(response.status, label).toBeLessThan(500);
              const body = (await response.json()) as Record<string, unknown>;
              if (response.status >= 400) {
                expect(typeof body.code, label).toBe("string");
                expect(response.headers.get("content-type"), label).toBe(
                  "application/problem+json",
                );
              } else if (
                "valid" in body &&
                text !== bought.access_token &&
                text !== bought.receipt
              ) {
                expect(body.valid, label).toBe(false);
              }
            }
            expect(await money("fuzz-inputs-buyer", creation.id)).toEqual(before);
            prototypeClean();
          },
        ),
        budget.parameters(),
      );
    },
    budget.timeout(budget.runs * 8),
  );
});

const metadataValue = fc.oneof(
  fc.constantFrom(
    "paid",
    "free",
    "gold",
    "__proto__",
    "constructor",
    "toString",
    "",
    " paid",
    "PAID",
  ),
  fc.string({ maxLength: 40 }),
  fc.constantFrom<unknown>(null, 1, true, ["paid"], { plan: "paid" }),
);

describe("Stripe events that set plans and credit packages", () => {
  it(
    "are acknowledged, applied at most once, and only ever name a tier or credit a well-formed package",
    async () => {
      const creation = await meteredCreation("fuzz-stripe-owner");
      let round = 0;
      await fc.assert(
        fc.asyncProperty(
          fc.constantFrom(
            "checkout.session.completed",
            "customer.subscription.updated",
            "customer.subscription.deleted",
            "payment_intent.succeeded",
          ),
          fc.record(
            {
              creation_id: fc.oneof(fc.constant(creation.id), metadataValue),
              user_id: metadataValue,
              userId: metadataValue,
              tier: metadataValue,
              plan: metadataValue,
              packageName: fc.oneof(fc.constantFrom("booster", "mini"), metadataValue),
              minutesPurchased: fc.oneof(
                fc.constantFrom("1", "30", "0", "-5", "1e3", "999999999"),
                metadataValue,
              ),
            },
            { requiredKeys: [] },
          ),
          fc.boolean(),
          fc.integer({ min: 1, max: 3 }),
          async (type, metadata, livemode, copies) => {
            round++;
            const user = `fuzz-stripe-user-${round}`;
            const fields = { ...metadata };
            // Name this case's user wherever the event names one, so effects can be watched.
            for (const key of ["user_id", "userId"] as const) {
              if (fields[key] === "paid") fields[key] = user;
            }
            const body = JSON.stringify({
              id: `evt_fuzz_${round}`,
              type,
              created: Math.floor(clock.now() / 1000),
              livemode,
              data: { object: { id: `obj_${round}`, status: "active", metadata: fields } },
            });
            const acks = await Promise.all(
              Array.from({ length: copies }, () => deliverStripe(body)),
            );
            const answers = await Promise.all(
              acks.map(async (a) => ({
                status: a.status,
                body: (await a.json()) as Record<string, unknown>,
              })),
            );
            for (const answer of answers) {
              expect(answer.status, JSON.stringify(answer.body)).toBe(200);
              expect(answer.body.received).toBe(true);
            }
            const applied = answers.filter((a) => a.body.applied === true);
            expect(applied.filter((a) => a.body.replayed === false).length).toBeLessThanOrEqual(1);
            const usage = await usageOf(creation, user, livemode ? "" : "?mode=test");
            expect(["free", "paid"]).toContain(usage.plan);
            if (type === "payment_intent.succeeded") {
              const minutes = fields.minutesPurchased;
              const wellFormed =
                fields.userId === user &&
                typeof fields.packageName === "string" &&
                /^[A-Za-z0-9 _-]{1,64}$/.test(fields.packageName) &&
                typeof minutes === "string" &&
                /^[1-9]\d{0,6}$/.test(minutes);
              const wallet = await userWallet(user).view(`user:${user}`, {
                type: "service",
                id: "platform",
                secret_index: 0,
              });
              const paid = wallet.buckets.find((bucket) => bucket.kind === "paid")?.remaining ?? 0;
              expect(paid).toBe(wellFormed ? Number(minutes) * 60 : 0);
              if (!wellFormed) expect(wallet.balance).toBe(START_BALANCE);
            }
            prototypeClean();
          },
        ),
        budget.parameters(),
      );
    },
    budget.timeout(budget.runs * 4),
  );
});

describe("summary cursors", () => {
  it(
    "page through every user exactly once, most calls first",
    async () => {
      const creation = await meteredCreation("fuzz-cursor-owner", [
        { id: "t", name: "T", price: 0, limit: null, rate_limit_per_minute: 1_000_000 },
      ]);
      let round = 0;
      await fc.assert(
        fc.asyncProperty(
          fc.array(fc.integer({ min: 1, max: 5 }), { minLength: 1, maxLength: 12 }),
          fc.integer({ min: 1, max: 5 }),
          async (quantities, pageSize) => {
            round++;
            const meter = `m${round}`;
            await Promise.all(
              quantities.map((quantity, i) =>
                api(
                  `${usagePath(creation.id)}/track`,
                  jsonInit(
                    "POST",
                    { user_id: `u${i}`, meter, quantity },
                    asCreation(creation.token),
                  ),
                ),
              ),
            );
            const seen: { user_id: string; count: number }[] = [];
            let cursor: string | null = null;
            do {
              const query: string = `meter=${meter}&limit=${pageSize}${cursor ? `&cursor=${cursor}` : ""}`;
              const page = await api(`${usagePath(creation.id)}?${query}`, {
                headers: await bearer({ sub: "fuzz-cursor-owner" }),
              });
              expect(page.status).toBe(200);
              const body = (await page.json()) as {
                top_users: { user_id: string; count: number }[];
                next_cursor: string | null;
              };
              expect(body.top_users.length).toBeLessThanOrEqual(pageSize);
              seen.push(...body.top_users);
              cursor = body.next_cursor;
            } while (cursor !== null);
            expect(seen.map((row) => row.user_id).sort()).toEqual(
              quantities.map((_, i) => `u${i}`).sort(),
            );
            const counts = seen.map((row) => row.count);
            expect(counts).toEqual([...counts].sort((a, b) => b - a));
            expect(counts.reduce((a, b) => a + b, 0)).toBe(quantities.reduce((a, b) => a + b, 0));
          },
        ),
        budget.parameters(),
      );
    },
    budget.timeout(budget.runs * 20),
  );
});
