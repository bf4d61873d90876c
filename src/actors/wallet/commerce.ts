// A wallet's commerce (seed 000): for a user, buying products, paying creations, their
// entitlements and refunds; for a creation, the sales its buyers' wallets report. WalletDO's RPC
// methods of the same names hand their calls here; the money moves through its book.

import * as v from "valibot";
import { mintEntitlementToken } from "../../shared/access-tokens.ts";
import { clock } from "../../shared/clock.ts";
import { ApiError, asApiError } from "../../shared/errors.ts";
import type { JsonValue } from "../../shared/json.ts";
import { signReceipt } from "../../shared/receipts.ts";
import {
  type Entitlement,
  type EntitlementPage,
  type EntitlementScope,
  type Paid,
  type Payment,
  PaymentSchema,
  type Purchase,
  type Purchased,
  PurchaseSchema,
} from "../../shared/schemas/commerce.ts";
import type { Principal } from "../../shared/schemas/principal.ts";
import { iso } from "../../shared/time.ts";
import type { Role } from "../access.ts";
import type { IdempotencyStore, Replayable } from "../idempotency.ts";
import type { OutboxEnvelope } from "../outbox.ts";
import { actorByName } from "../refusal.ts";
import { creationAccount } from "./account.ts";
import type { Opened, WalletBook } from "./book.ts";
import { type EntitlementRow, Entitlements, isActive, toEntitlement } from "./entitlements.ts";
import { RULES } from "./mutations.ts";
import { proofOfPurchase } from "./proof.ts";
import {
  buy,
  cancelRenewal,
  type PaymentRecord,
  type PurchaseHost,
  type PurchaseRecord,
  pay,
  type RefundRecord,
  refundToBuyer,
  renew,
} from "./purchases.ts";
import { type SaleMessage, SaleMessageSchema, Sales } from "./sales.ts";

/** What commerce uses of its wallet actor. */
export interface CommerceHost {
  env: Env;
  storage: DurableObjectStorage;
  book: WalletBook;
  idempotency: IdempotencyStore;
  purchases: PurchaseHost;
  /** The account, opened, once the caller is allowed one of `allowed` on it. */
  opened(name: string, caller: Principal, allowed: readonly Role[]): Promise<Opened>;
  /** The wallet's name, for its own jobs. */
  accountName(): string;
  /** Refuses while the user is disabled (user-status.ts). */
  requireUserEnabled(): void;
  requireUserWallet(name: string): void;
  requireCreationWallet(name: string): void;
  /** Delivers an outbox message now (the scheduler retries it otherwise). */
  deliver(outboxId: string): Promise<unknown>;
  messageOf<S extends v.GenericSchema>(
    envelope: OutboxEnvelope<unknown>,
    schema: S,
  ): v.InferOutput<S>;
  receiveOnce(envelope: OutboxEnvelope<unknown>, apply: (message: JsonValue) => void): unknown;
}

export class WalletCommerce {
  private readonly entitlements: Entitlements;
  private readonly sales: Sales;

  constructor(private readonly host: CommerceHost) {
    this.entitlements = new Entitlements(host.storage.sql);
    this.sales = new Sales(host.storage.sql);
  }

  /** A subscription's renewal, run by the wallet's scheduler (purchases.ts). */
  async renewSubscription(entitlementId: string): Promise<void> {
    const account = await this.host.book.open(this.host.accountName());
    const { outcome, outboxId } = this.host.storage.transactionSync(() =>
      renew(
        this.host.book,
        this.entitlements,
        this.host.purchases,
        account,
        entitlementId,
        clock.now(),
      ),
    );
    // The creator's share of a renewal now, as for a purchase; retried until it lands.
    if (outboxId) await this.host.deliver(outboxId).catch(() => null);
    if (outcome === "lapsed") {
      console.log(
        JSON.stringify({
          level: "info",
          event: "subscription_lapsed",
          entitlement_id: entitlementId,
        }),
      );
    }
  }

  /**
   * Buys a creation's product (purchases.ts): once per client_operation_id, whose first answer
   * a retry gets again. The creation's terms are read first; the check, the debit and the
   * entitlement are then one synchronous step, so concurrent purchases cannot both pass.
   */
  async purchase(name: string, caller: Principal, input: Purchase): Promise<Replayable<Purchased>> {
    const account = await this.host.opened(name, caller, ["owner"]);
    requireUser(account);
    const purchase = v.parse(PurchaseSchema, input);
    const key = `purchase:${purchase.client_operation_id}`;
    const request = ["purchase", purchase.scope_id, purchase.sku];
    let result = this.host.idempotency.peek<PurchaseRecord>(key, request);
    if (!result) {
      this.host.requireUserEnabled();
      const offer = await actorByName(this.host.env.CREATION, purchase.scope_id).offer(
        purchase.sku,
      );
      let outboxId: string | null = null;
      result = this.host.idempotency.run<PurchaseRecord>(key, request, () =>
        this.host.book.ledger.attributed(agentOf(caller), () => {
          const now = clock.now();
          const bought = buy(
            this.host.book,
            this.entitlements,
            this.host.purchases,
            account,
            offer,
            now,
          );
          outboxId = bought.outboxId;
          return bought.record;
        }),
      );
      // The creator's share now, so the creation sees it at once; retried until it lands.
      if (outboxId) await this.host.deliver(outboxId).catch(() => null);
    }
    return {
      body: await proofOfPurchase(this.host.env, account.id, result.body),
      replayed: result.replayed,
    };
  }

  async listEntitlements(
    name: string,
    caller: Principal,
    query: { limit: number; cursor?: string | undefined; scope_id?: string | undefined },
  ): Promise<EntitlementPage> {
    const account = await this.host.opened(name, caller, ["owner", "admin", "service"]);
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
    const account = await this.host.opened(name, caller, ["owner", "admin", "service"]);
    requireUser(account);
    const row = this.entitlements.find(scope.scope_id, scope.sku);
    const now = clock.now();
    if (!row) return { active: false, uses_total: null, uses_remaining: null, expires_at: null };
    const { active, uses_total, uses_remaining, expires_at } = toEntitlement(row, now);
    return { active, uses_total, uses_remaining, expires_at };
  }

  /** A fresh access token for an entitlement the user holds and may use now. */
  async entitlementAccessToken(name: string, caller: Principal, scope: EntitlementScope) {
    const account = await this.host.opened(name, caller, ["owner"]);
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
    const account = await this.host.opened(name, caller, ["owner"]);
    requireUser(account);
    const row = this.host.storage.transactionSync(() =>
      cancelRenewal(this.entitlements, this.host.purchases, id, clock.now()),
    );
    return toEntitlement(row, clock.now());
  }

  /** The entitlement an access token names, as its creation may see it (for the token's
   *  verification, after the router opened the token); null when it is not that creation's. */
  entitlementForCreation(name: string, entitlementId: string, creationId: string) {
    this.host.requireUserWallet(name);
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
    this.host.requireUserWallet(name);
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
    const account = await this.host.opened(name, caller, ["owner"]);
    requireUser(account);
    const row = this.entitlements.find(scope.scope_id, scope.sku);
    if (!row) {
      throw new ApiError("ENTITLEMENT_NOT_FOUND", "The user has not bought this product here.");
    }
    return this.consumeEntitlement(name, row.id, scope.scope_id, key);
  }

  /** A creation's sales in [from, to) (ms): gross, shares, per sku, refunds. */
  async salesSummary(name: string, caller: Principal, range: { from: number; to: number }) {
    const account = await this.host.opened(name, caller, RULES.read);
    if (account.kind !== "creation") throw new Error(`${name} is not a creation's wallet.`);
    return this.sales.summary(range.from, range.to);
  }

  /**
   * The platform refunds a purchase: the creation's wallet gives its share back first (refused,
   * moving nothing, when it cannot: CREATION_FUNDS_SHORT_FOR_REFUND), then the buyer gets the
   * price back and the entitlement ends. Once per purchase: a retry gets the first answer, and a
   * retry after a failure between the two steps finishes the refund without taking twice.
   */
  async refundPurchase(
    name: string,
    caller: Principal,
    transactionId: string,
  ): Promise<Replayable<RefundRecord>> {
    const account = await this.host.opened(name, caller, RULES.refund);
    requireUser(account);
    const key = `refund:${transactionId}`;
    const request = ["refund-purchase", transactionId];
    const prior = this.host.idempotency.peek<RefundRecord>(key, request);
    if (prior) return prior;
    const purchase = this.entitlements.purchase(transactionId);
    if (!purchase) throw new ApiError("TRANSACTION_NOT_FOUND", `No purchase ${transactionId}.`);
    if (purchase.refunded_at !== null) {
      throw new ApiError("ALREADY_REFUNDED", `${transactionId} was already refunded.`);
    }
    const creation = creationAccount(purchase.creation_id);
    await actorByName(this.host.env.WALLET, creation).takeBackSale(creation, {
      to: creation,
      from: account.name,
      sale_id: purchase.transaction_id,
      kind: "purchase",
      sku: purchase.sku,
      gross: purchase.amount,
      creator_share: purchase.creator_share,
      sold_at: purchase.purchased_at,
      description: `Sale of ${purchase.sku}`,
    });
    return this.host.idempotency.run(key, request, () =>
      refundToBuyer(this.host.book, this.entitlements, this.host.purchases, purchase, clock.now()),
    );
  }

  /** A refund takes the creator's share of a sale back, once per sale; a sale not delivered
   *  yet is recorded as refunded, so its delivery later credits nothing. */
  async takeBackSale(name: string, input: SaleMessage): Promise<{ returned: number }> {
    this.host.requireCreationWallet(name);
    const sale = v.parse(SaleMessageSchema, input);
    const account = await this.host.book.open(name);
    return this.host.storage.transactionSync(() => {
      const now = clock.now();
      const recorded = this.sales.get(sale.sale_id);
      if (recorded && recorded.refunded_at !== null) return { returned: 0 };
      if (!recorded) {
        this.sales.record(sale);
        this.sales.markRefunded(sale.sale_id, now);
        return { returned: 0 };
      }
      if (recorded.creator_share > 0)
        takeBack(this.host.book, account, sale, recorded.creator_share, now);
      this.sales.markRefunded(sale.sale_id, now);
      return { returned: recorded.creator_share };
    });
  }

  /** Seed 000's freeform pay(): credits to a creation (its share as for a sale), once per
   *  client_operation_id, with a receipt. */
  async pay(name: string, caller: Principal, input: Payment): Promise<Replayable<Paid>> {
    const account = await this.host.opened(name, caller, ["owner"]);
    requireUser(account);
    const payment = v.parse(PaymentSchema, input);
    const key = `payment:${payment.client_operation_id}`;
    const request = ["payment", payment.creation_id, payment.amount, payment.description];
    let result = this.host.idempotency.peek<PaymentRecord>(key, request);
    if (!result) {
      this.host.requireUserEnabled();
      const terms = await actorByName(this.host.env.CREATION, payment.creation_id).paymentTerms();
      let outboxId: string | null = null;
      result = this.host.idempotency.run<PaymentRecord>(key, request, () =>
        this.host.book.ledger.attributed(agentOf(caller), () => {
          const paid = pay(
            this.host.book,
            this.host.purchases,
            account,
            terms,
            payment,
            clock.now(),
          );
          outboxId = paid.outboxId;
          return paid.record;
        }),
      );
      if (outboxId) await this.host.deliver(outboxId).catch(() => null);
    }
    const { description: _description, paid_at, ...record } = result.body;
    const receipt = await signReceipt(this.host.env, {
      user_id: account.id,
      creation_id: record.creation_id,
      transaction_id: record.transaction_id,
      sku: null,
      amount: record.amount,
      purchased_at: paid_at,
    });
    return { body: { ...record, receipt }, replayed: result.replayed };
  }

  /** Outbox receiver: the creator's share of a sale, credited and recorded exactly once. */
  async receiveSale(envelope: OutboxEnvelope<SaleMessage>): Promise<{ sale_id: string }> {
    const message = this.host.messageOf(envelope, SaleMessageSchema);
    await this.host.book.open(message.to);
    this.host.receiveOnce(envelope, () => {
      // Once per sale too, whatever envelope brings it (a refund may have recorded it first).
      if (this.sales.has(message.sale_id)) return;
      if (message.creator_share > 0) {
        this.host.book.credit("paid", message.creator_share, clock.now(), {
          kind: "sale",
          description: message.description,
          reference_id: message.sale_id,
        });
      }
      this.sales.record(message);
    });
    return { sale_id: message.sale_id };
  }
}

/** The creator's share of a refunded sale, out of the creation's wallet; a wallet that cannot
 *  pay it refuses the whole refund. */
function takeBack(
  book: WalletBook,
  account: Opened,
  sale: { sale_id: string; sku: string | null },
  amount: number,
  now: number,
): void {
  try {
    book.debit(
      account,
      {
        kind: "sale_refund",
        amount,
        description: `Refund of ${sale.sku ?? "a payment"}`,
        reference_id: sale.sale_id,
      },
      now,
    );
  } catch (error) {
    const problem = asApiError(error);
    if (problem?.code !== "INSUFFICIENT_CREATION_FUNDS") throw error;
    throw new ApiError(
      "CREATION_FUNDS_SHORT_FOR_REFUND",
      `The creation's wallet cannot give back its share of ${amount}; nothing was refunded.`,
      problem.extensions,
    );
  }
}

export function requireUser(account: Opened): void {
  if (account.kind !== "user") throw new Error(`${account.name} is not a user's wallet.`);
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

/** The agent acting for a user, whose id every transaction of the change carries. */
const agentOf = (caller: Principal) => (caller.type === "user" ? (caller.agent?.id ?? null) : null);
