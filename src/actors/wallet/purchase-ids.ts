// A purchase's transaction id names the buyer's wallet, so the platform's refund
// (POST /v1/purchases/:transaction_id/refund) reaches it from the id alone, as the receipt
// already tells the creation who bought: `pur_<user id in base64url>.<32 hex>`.

import { base64url, fromBase64url } from "../../shared/crypto.ts";

const PURCHASE_ID = /^pur_([A-Za-z0-9_-]{1,200})\.([0-9a-f]{32})$/;
const encoder = new TextEncoder();
const decoder = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

export function newPurchaseId(userId: string): string {
  return `pur_${base64url(encoder.encode(userId))}.${crypto.randomUUID().replaceAll("-", "")}`;
}

/** The buyer a purchase id names, or null for anything that is not one. */
export function buyerOfPurchase(id: string): string | null {
  const match = PURCHASE_ID.exec(id);
  const bytes = match ? fromBase64url(match[1] as string) : null;
  if (!bytes) return null;
  try {
    return decoder.decode(bytes);
  } catch {
    return null;
  }
}
