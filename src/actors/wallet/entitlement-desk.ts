// A user's entitlements after the purchase: listed, checked, proved to a creation with an access
// token, used (a consumable, by the buyer's page or by the creation with the buyer's token), and
// a subscription cancelled. WalletDO's RPC methods of the same names hand their calls here.

import { mintEntitlementToken } from "../../shared/access-tokens.ts";
import { clock } from "../../shared/clock.ts";
import { ApiError } from "../../shared/errors.ts";
import type {
  Entitlement,
  EntitlementPage,
  EntitlementScope,
} from "../../shared/schemas/commerce.ts";
import type { Principal } from "../../shared/schemas/principal.ts";
import { iso } from "../../shared/time.ts";
import { type EntitlementRow, Entitlements, isActive, toEntitlement } from "./entitlements.ts";
import { requireUser, type WalletHost } from "./host.ts";
import { cancelRenewal } from "./purchases.ts";

export class EntitlementDesk {
  private readonly entitlements: Entitlements;

  constructor(private readonly host: WalletHost) {
    this.entitlements = new Entitlements(host.storage.sql);
  }

  async listEntitlements(
    name: string,
    caller: Principal,
    query: { limit: number; cursor?: string | undefined; scope_id?: string | undefined },
  ): Promise<EntitlementPage> {
    const account = await this.host.gate.opened(name, caller, ["owner", "admin", "service"]);
    requireUser(account);
    const now = clock.now();
    const rows = this.entitlements.page(query.limit, query.cursor, query.scope_id);
    const page = rows.slice(0, query.limit);
    return {
      entitlements: page.map((row) => toEntitlement(row, now)),
      next_cursor: rows.length > query.limit ? (page.at(-1)?.id ?? null) : null,
    };
  }

  /** Seed 000's checkEntitlement: whether the user has the sku at this creation now. */
  async checkEntitlement(name: string, caller: Principal, scope: EntitlementScope) {
    const account = await this.host.gate.opened(name, caller, ["owner", "admin", "service"]);
    requireUser(account);
    const row = this.entitlements.find(scope.scope_id, scope.sku);
    const now = clock.now();
    if (!row) return { active: false, uses_total: null, uses_remaining: null, expires_at: null };
    const { active, uses_total, uses_remaining, expires_at } = toEntitlement(row, now);
    return { active, uses_total, uses_remaining, expires_at };
  }

  /** A fresh access token for an entitlement the user holds and may use now. */
  async entitlementAccessToken(name: string, caller: Principal, scope: EntitlementScope) {
    const account = await this.host.gate.opened(name, caller, ["owner"]);
    requireUser(account);
    const row = this.entitlements.find(scope.scope_id, scope.sku);
    if (!row) {
      throw new ApiError("ENTITLEMENT_NOT_FOUND", "The user has not bought this product here.");
    }
    requireUsable(row, clock.now());
    const access = await mintEntitlementToken(this.host.env.TOKEN_SECRET, {
      userId: account.id,
      creationId: row.creation_id,
      sku: row.sku,
      entitlementId: row.id,
    });
    return { access_token: access.token, expires_at: iso(access.expiresAt * 1000) };
  }

  /** Stops a subscription renewing; it runs to the end of the period paid for. */
  async cancelEntitlement(name: string, caller: Principal, id: string): Promise<Entitlement> {
    const account = await this.host.gate.opened(name, caller, ["owner"]);
    requireUser(account);
    const row = this.host.storage.transactionSync(() =>
      cancelRenewal(this.entitlements, this.host.purchases, id, clock.now()),
    );
    return toEntitlement(row, clock.now());
  }

  /** The entitlement an access token names, as its creation may see it (for the token's
   *  verification, after the router opened the token); null when it is not that creation's. */
  entitlementForCreation(name: string, entitlementId: string, creationId: string) {
    this.host.gate.requireWallet(name, "user");
    const row = this.entitlements.get(entitlementId);
    if (!row || row.creation_id !== creationId) return null;
    return toEntitlement(row, clock.now());
  }

  /** Uses one use of a consumable, atomically (ENTITLEMENT_EXHAUSTED when none are left); a
   *  retry with the same key gets the first answer. */
  consumeEntitlement(
    name: string,
    entitlementId: string,
    creationId: string,
    key?: string,
  ): Entitlement {
    this.host.gate.requireWallet(name, "user");
    const consumeKey = key === undefined ? undefined : `consume:${creationId}:${key}`;
    return this.host.idempotency.run(consumeKey, ["consume", entitlementId], () => {
      const row = this.entitlements.get(entitlementId);
      if (!row || row.creation_id !== creationId) {
        throw new ApiError("ENTITLEMENT_NOT_FOUND", "No such entitlement at this creation.");
      }
      return toEntitlement(this.entitlements.consume(entitlementId, clock.now()), clock.now());
    }).body;
  }

  /** The buyer uses one use of their consumable themselves (seed 000's bridge consume()). */
  async useEntitlement(
    name: string,
    caller: Principal,
    scope: EntitlementScope,
    key?: string,
  ): Promise<Entitlement> {
    const account = await this.host.gate.opened(name, caller, ["owner"]);
    requireUser(account);
    const row = this.entitlements.find(scope.scope_id, scope.sku);
    if (!row) {
      throw new ApiError("ENTITLEMENT_NOT_FOUND", "The user has not bought this product here.");
    }
    return this.consumeEntitlement(name, row.id, scope.scope_id, key);
  }
}

/** An entitlement a token may be minted for: active now (a spent consumable says so). */
function requireUsable(row: EntitlementRow, now: number): void {
  if (isActive(row, now)) return;
  const view = toEntitlement(row, now);
  if (view.status === "exhausted") {
    throw new ApiError("ENTITLEMENT_EXHAUSTED", "The entitlement has no uses left.", {
      uses_remaining: 0,
    });
  }
  throw new ApiError("ENTITLEMENT_NOT_ACTIVE", `The entitlement is ${view.status}.`, {
    status: view.status,
  });
}
