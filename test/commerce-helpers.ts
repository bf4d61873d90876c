// Shared steps of the commerce tests: a creation that sells, a buyer, purchases, money views.

import { expect } from "vitest";
import { creationAccount, userAccount } from "../src/actors/wallet/account.ts";
import { api, bearer, type CreatedCreation, createCreation, jsonInit } from "./helpers.ts";
import { creationWallet, expectCleanAudit, userWallet } from "./wallet-helpers.ts";

export const PLATFORM = { type: "service", id: "platform", secret_index: 0 } as const;

export const CATALOG = [
  { sku: "premium", name: "Premium Mode", price: 50, type: "one_time" },
  { sku: "day_pass", name: "24-Hour Access", price: 10, type: "period", duration_seconds: 86_400 },
  { sku: "hints", name: "5 Hints", price: 20, type: "consumable", uses_total: 5 },
  { sku: "pro", name: "Pro Monthly", price: 100, type: "subscription", interval: "month" },
];

/** A creation owned by `owner` that takes payments and sells CATALOG (or `products`). */
export async function sellingCreation(
  owner: string,
  settings: Record<string, unknown> = {},
  products: Record<string, unknown>[] = CATALOG,
): Promise<CreatedCreation> {
  const creation = await createCreation(owner);
  const headers = await bearer({ sub: owner });
  const patched = await api(
    `/v1/creations/${creation.id}`,
    jsonInit("PATCH", { permissions: ["payments"], ...settings }, headers),
  );
  expect(patched.status).toBe(200);
  const put = await api(
    `/v1/creations/${creation.id}/products`,
    jsonInit("PUT", { products }, headers),
  );
  expect(put.status).toBe(200);
  return creation;
}

export async function purchase(
  buyer: string,
  creationId: string,
  sku: string,
  operation = crypto.randomUUID(),
): Promise<Response> {
  return api(
    "/v1/me/entitlements/purchase",
    jsonInit(
      "POST",
      { scope_type: "creation", scope_id: creationId, sku, client_operation_id: operation },
      await bearer({ sub: buyer }),
    ),
  );
}

export interface PurchasedBody {
  entitlement: {
    id: string;
    sku: string;
    type: string;
    status: string;
    active: boolean;
    expires_at: string | null;
    uses_remaining: number | null;
  };
  receipt: string;
  access_token: string;
  transaction_id: string;
}

/** Balances of a buyer and a creation, with both ledgers audited clean. */
export async function money(buyer: string, creationId: string) {
  const user = await expectCleanAudit(userWallet(buyer));
  const creation = await expectCleanAudit(creationWallet(creationId));
  return { buyer: user.balance, creation: creation.balance };
}

export const buyerWalletName = userAccount;
export const creationWalletName = creationAccount;
