// Entitlement access tokens at the edge (seed 000's `rat_`, kind entitlement): opened here, then
// the buyer's wallet says what the entitlement is now. The creation learns the sku, the type, the
// uses left and the expiry, and an id for the buyer that only it sees: never who bought.

import { actorByName } from "../../actors/refusal.ts";
import { userAccount } from "../../actors/wallet/account.ts";
import { buyerHandle, readAccessToken } from "../../shared/access-tokens.ts";
import { clock } from "../../shared/clock.ts";
import { ApiError } from "../../shared/errors.ts";
import type { Entitlement } from "../../shared/schemas/commerce.ts";
import type { CreationPrincipal } from "../../shared/schemas/principal.ts";

export type OpenedEntitlement =
  | { ok: true; userId: string; creationId: string; entitlementId: string }
  | { ok: false; reason: "not genuine" | "expired" };

/** The entitlement a token names; a budget token is refused with the code that says so. */
export async function openEntitlementToken(env: Env, token: string): Promise<OpenedEntitlement> {
  const claim = await readAccessToken(env.TOKEN_SECRET, token);
  if (!claim) return { ok: false, reason: "not genuine" };
  if (claim.kind !== "entitlement") {
    throw new ApiError(
      "ACCESS_TOKEN_WRONG_KIND",
      "This is a budget access token: it lets a creation spend for a user (on_behalf_of_access_token). An entitlement's token comes from a purchase or GET /v1/me/entitlements/access-token.",
    );
  }
  if (claim.expiresAt * 1000 <= clock.now()) return { ok: false, reason: "expired" };
  return {
    ok: true,
    userId: claim.userId,
    creationId: claim.creationId,
    entitlementId: claim.entitlementId,
  };
}

/** The buyer's wallet, for the entitlement a token opened to. */
const buyerWallet = (env: Env, userId: string) => actorByName(env.WALLET, userAccount(userId));

/** Seed 000's verify: what the token grants now, or why it grants nothing. */
export async function verifyEntitlementToken(env: Env, token: string) {
  const opened = await openEntitlementToken(env, token);
  if (!opened.ok) return { valid: false as const, reason: opened.reason };
  const name = userAccount(opened.userId);
  const entitlement = await buyerWallet(env, opened.userId).entitlementForCreation(
    name,
    opened.entitlementId,
    opened.creationId,
  );
  if (!entitlement) return { valid: false as const, reason: "not genuine" };
  if (!entitlement.active) return { valid: false as const, reason: entitlement.status };
  return entitlementAnswer(env, opened, entitlement);
}

/** One use of the consumable a buyer's token names, by the creation it was issued for; a
 *  retry with the same key uses nothing more. */
export async function consumeWithToken(
  env: Env,
  caller: Pick<CreationPrincipal, "id">,
  token: string,
  key: string | undefined,
) {
  const opened = await openEntitlementToken(env, token);
  if (!opened.ok) {
    throw opened.reason === "expired"
      ? new ApiError("ENTITLEMENT_TOKEN_EXPIRED", "The access token has expired.")
      : new ApiError("ENTITLEMENT_TOKEN_INVALID", "The access token is not genuine.");
  }
  if (opened.creationId !== caller.id) {
    throw new ApiError("CREATION_SCOPE_MISMATCH", "The access token is for another creation.");
  }
  const entitlement = await buyerWallet(env, opened.userId).consumeEntitlement(
    userAccount(opened.userId),
    opened.entitlementId,
    opened.creationId,
    key,
  );
  return entitlementAnswer(env, opened, entitlement);
}

/** What a creation is told about an entitlement (seed 000's verify answer). */
async function entitlementAnswer(
  env: Env,
  opened: Extract<OpenedEntitlement, { ok: true }>,
  entitlement: Entitlement,
) {
  return {
    valid: true as const,
    sku: entitlement.sku,
    type: entitlement.type,
    uses_remaining: entitlement.uses_remaining,
    expires_at: entitlement.expires_at,
    entitlement_id: await buyerHandle(env.TOKEN_SECRET, opened.creationId, opened.userId),
  };
}
