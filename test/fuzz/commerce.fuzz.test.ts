// Property-based fuzzing of commerce under concurrency: a random catalog, then random batches of
// purchases, uses of consumables, freeform payments and platform refunds from a few buyers, each
// batch sent at once against one creation. After every case:
//   - every answer is a success or one of the refusals the operation names, never a 5xx;
//   - every wallet's ledger audits clean;
//   - money is conserved: what left the buyers is what the sales say was sold and not refunded,
//     and the creation holds exactly its share of those sales;
//   - no one-time product is owned twice, and no consumable has more uses left than it sold.

import * as fc from "fast-check";
import { describe, expect, it } from "vitest";
import { clock } from "../../src/shared/clock.ts";
import { money, sellingCreation } from "../commerce-helpers.ts";
import { api, bearer, jsonInit } from "../helpers.ts";
import { asService } from "../wallet-helpers.ts";
import { suiteBudget } from "./settings.ts";

const budget = suiteBudget("commerce", 1);
const START_BALANCE = 3000 + 900;
const BUYERS = ["ann", "bo", "cy"] as const;
const BATCH_MAX = 12;

const product = (sku: string) =>
  fc.oneof(
    fc.record({
      sku: fc.constant(sku),
      name: fc.constant(sku),
      price: fc.integer({ min: 1, max: 400 }),
      type: fc.constant("one_time"),
    }),
    fc.record({
      sku: fc.constant(sku),
      name: fc.constant(sku),
      price: fc.integer({ min: 1, max: 400 }),
      type: fc.constant("consumable"),
      uses_total: fc.integer({ min: 1, max: 3 }),
    }),
    fc.record({
      sku: fc.constant(sku),
      name: fc.constant(sku),
      price: fc.integer({ min: 1, max: 400 }),
      type: fc.constant("period"),
      duration_seconds: fc.constant(3600),
    }),
  );

const operation = fc.oneof(
  fc.record({
    op: fc.constant("buy"),
    buyer: fc.constantFrom(...BUYERS),
    sku: fc.constantFrom("a", "b"),
    key: fc.constantFrom("k1", "k2", "k3", "k4"),
  }),
  fc.record({
    op: fc.constant("use"),
    buyer: fc.constantFrom(...BUYERS),
    sku: fc.constantFrom("a", "b"),
  }),
  fc.record({
    op: fc.constant("pay"),
    buyer: fc.constantFrom(...BUYERS),
    amount: fc.integer({ min: 1, max: 300 }),
    key: fc.constantFrom("p1", "p2"),
  }),
  fc.record({ op: fc.constant("refund"), nth: fc.nat({ max: 5 }) }),
);
type Operation = typeof operation extends fc.Arbitrary<infer T> ? T : never;

/** What each operation may answer besides success. */
const ALLOWED: Record<string, string[]> = {
  buy: ["INSUFFICIENT_CREDITS", "ALREADY_PURCHASED"],
  use: [
    "ENTITLEMENT_EXHAUSTED",
    "ENTITLEMENT_NOT_FOUND",
    "ENTITLEMENT_NOT_CONSUMABLE",
    "ENTITLEMENT_NOT_ACTIVE",
  ],
  pay: ["INSUFFICIENT_CREDITS"],
  refund: ["ALREADY_REFUNDED", "CREATION_FUNDS_SHORT_FOR_REFUND"],
};

describe("commerce under concurrent batches", () => {
  it(
    "conserves money, audits clean and never sells a one-time product twice",
    async () => {
      let round = 0;
      // Every signed call differs (a verbatim copy is refused as a replay): its own second.
      let signed = 0;
      await fc.assert(
        fc.asyncProperty(
          fc.tuple(product("a"), product("b")),
          fc.integer({ min: 0, max: 100 }),
          fc.array(fc.array(operation, { minLength: 1, maxLength: BATCH_MAX }), {
            minLength: 1,
            maxLength: 3,
          }),
          async (catalog, sharePct, batches) => {
            round++;
            const owner = `fuzz-shop-${round}`;
            const creation = await sellingCreation(
              owner,
              { entitlement_creator_share_pct: sharePct },
              catalog,
            );
            const buyer = (name: string) => `${name}-${round}`;
            const purchases: string[] = [];
            const send = async (operation: Operation): Promise<Response> => {
              switch (operation.op) {
                case "buy":
                  return api(
                    "/v1/me/entitlements/purchase",
                    jsonInit(
                      "POST",
                      {
                        scope_type: "creation",
                        scope_id: creation.id,
                        sku: operation.sku,
                        client_operation_id: `${operation.key}-${operation.sku}`,
                      },
                      await bearer({ sub: buyer(operation.buyer) }),
                    ),
                  );
                case "use":
                  return api(
                    "/v1/me/entitlements/use",
                    jsonInit(
                      "POST",
                      { scope_type: "creation", scope_id: creation.id, sku: operation.sku },
                      await bearer({ sub: buyer(operation.buyer) }),
                    ),
                  );
                case "pay":
                  return api(
                    "/v1/me/payments",
                    jsonInit(
                      "POST",
                      {
                        creation_id: creation.id,
                        amount: operation.amount,
                        description: "tip",
                        client_operation_id: `${operation.key}-${operation.amount}`,
                      },
                      await bearer({ sub: buyer(operation.buyer) }),
                    ),
                  );
                case "refund": {
                  const id =
                    purchases[operation.nth % Math.max(1, purchases.length)] ??
                    `pur_${btoa(`nobody-${round}`).replace(/=+$/, "")}.${"0".repeat(32)}`;
                  return asService("POST", `/v1/purchases/${id}/refund`, undefined, {
                    nowSeconds: Math.floor(clock.now() / 1000) - 250 + (signed++ % 500),
                  });
                }
              }
            };
            for (const batch of batches) {
              const answers = await Promise.all(
                batch.map(async (operation) => {
                  // A refund sent before any purchase answered names a purchase that is not one.
                  const noPurchaseYet = purchases.length === 0;
                  const response = await send(operation);
                  return {
                    operation,
                    noPurchaseYet,
                    status: response.status,
                    body: (await response.json()) as Record<string, unknown>,
                  };
                }),
              );
              for (const { operation, noPurchaseYet, status, body } of answers) {
                const label = `${JSON.stringify(operation)} → ${status} ${JSON.stringify(body).slice(0, 200)}`;
                expect(status, label).toBeLessThan(500);
                if (status >= 400) {
                  const allowed =
                    operation.op === "refund" && noPurchaseYet
                      ? ["TRANSACTION_NOT_FOUND"]
                      : ALLOWED[operation.op];
                  expect(allowed, label).toContain(body.code);
                } else if (operation.op === "buy" && typeof body.transaction_id === "string") {
                  if (!purchases.includes(body.transaction_id)) purchases.push(body.transaction_id);
                }
              }
            }
            // Conservation, from both sides' own records (money() also audits each ledger).
            let outflow = 0;
            for (const name of BUYERS) {
              // The wallet's own view opens it (a buyer who did nothing has the start balance);
              // money() audits its ledger.
              const view = await api("/v1/me/wallet", {
                headers: await bearer({ sub: buyer(name) }),
              });
              const { balance } = (await view.json()) as { balance: number };
              await money(buyer(name), creation.id);
              outflow += START_BALANCE - balance;
              const list = await api(`/v1/me/entitlements?scope_id=${creation.id}`, {
                headers: await bearer({ sub: buyer(name) }),
              });
              const { entitlements } = (await list.json()) as {
                entitlements: {
                  sku: string;
                  uses_total: number | null;
                  uses_remaining: number | null;
                }[];
              };
              expect(new Set(entitlements.map((e) => e.sku)).size).toBe(entitlements.length);
              for (const e of entitlements) {
                if (e.uses_total !== null)
                  expect(e.uses_remaining ?? 0).toBeLessThanOrEqual(e.uses_total);
              }
            }
            const summary = (await (
              await api(`/v1/creations/${creation.id}/sales/summary`, {
                headers: await bearer({ sub: owner }),
              })
            ).json()) as {
              gross: number;
              creator_share: number;
              refunds: { gross: number; creator_share: number };
            };
            const { creation: creationBalance } = await money(buyer(BUYERS[0]), creation.id);
            expect(outflow).toBe(summary.gross - summary.refunds.gross);
            expect(creationBalance).toBe(summary.creator_share - summary.refunds.creator_share);
          },
        ),
        budget.parameters(),
      );
    },
    budget.timeout(budget.runs * BATCH_MAX * 3),
  );
});
