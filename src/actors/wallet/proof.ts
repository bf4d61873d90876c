// What proves a purchase to the creation: a signed receipt (who bought what, for how much) and an
// entitlement access token (that its holder owns the sku, without saying who), both made from
// the stored purchase each time it is answered, so a retry gets the same receipt.

import { mintEntitlementToken } from "../../shared/access-tokens.ts";
import { signReceipt } from "../../shared/receipts.ts";
import type { Purchased } from "../../shared/schemas/commerce.ts";
import type { PurchaseRecord } from "./purchases.ts";

export async function proofOfPurchase(
  env: Env,
  userId: string,
  record: PurchaseRecord,
): Promise<Purchased> {
  const receipt = await signReceipt(env, {
    user_id: userId,
    creation_id: record.creation_id,
    transaction_id: record.transaction_id,
    sku: record.sku,
    amount: record.amount,
    purchased_at: record.purchased_at,
  });
  const access = await mintEntitlementToken(env.TOKEN_SECRET, {
    userId,
    creationId: record.creation_id,
    sku: record.sku,
    entitlementId: record.entitlement.id,
  });
  return {
    entitlement: record.entitlement,
    receipt,
    access_token: access.token,
    access_token_expires_at: new Date(access.expiresAt * 1000).toISOString(),
    transaction_id: record.transaction_id,
  };
}
