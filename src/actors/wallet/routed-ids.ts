// Ids that name the user's wallet they live in, `<prefix>_<user id in base64url>.<local id>`, so a
// caller reaches that wallet from the id alone: the platform refunding a purchase, a creation
// capturing a deposit. A purchase's receipt already tells the creation who bought; a deposit is
// the user's own act on the creation's page.

import { base64url, fromBase64url } from "../../shared/crypto.ts";
import { ROUTED_ID_USER_MAX_CHARS } from "../../shared/limits.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

const PURCHASE = { prefix: "pur", local: /^[0-9a-f]{32}$/ };
const DEPOSIT = { prefix: "dep", local: /^hold_[0-9a-f-]{36}$/ };

function routedId(prefix: string, userId: string, local: string): string {
  return `${prefix}_${base64url(encoder.encode(userId))}.${local}`;
}

/** The user and the local id an id of `kind` names, or null for anything that is not one. */
function readRoutedId(
  kind: { prefix: string; local: RegExp },
  id: string,
): { userId: string; local: string } | null {
  const rest = id.startsWith(`${kind.prefix}_`) ? id.slice(kind.prefix.length + 1) : null;
  const dot = rest?.indexOf(".") ?? -1;
  if (rest === null || dot < 1 || dot > ROUTED_ID_USER_MAX_CHARS) return null;
  const local = rest.slice(dot + 1);
  const bytes = kind.local.test(local) ? fromBase64url(rest.slice(0, dot)) : null;
  if (!bytes) return null;
  try {
    return { userId: decoder.decode(bytes), local };
  } catch {
    return null;
  }
}

export function newPurchaseId(userId: string): string {
  return routedId(PURCHASE.prefix, userId, crypto.randomUUID().replaceAll("-", ""));
}

/** The buyer a purchase id names, or null for anything that is not one. */
export function buyerOfPurchase(id: string): string | null {
  return readRoutedId(PURCHASE, id)?.userId ?? null;
}

export function depositId(userId: string, holdId: string): string {
  return routedId(DEPOSIT.prefix, userId, holdId);
}

/** The user's wallet and the hold in it a deposit id names, or null. */
export function readDepositId(id: string): { userId: string; holdId: string } | null {
  const read = readRoutedId(DEPOSIT, id);
  return read && { userId: read.userId, holdId: read.local };
}
