// A user's wallet buying from creations (seed 000): products (with their subscriptions'
// renewals) and freeform payments. The purchase's rules are purchases.ts; the entitlements it
// grants are read and used through entitlement-desk.ts; refunds and the creation's side of a
// sale are sales-desk.ts. WalletDO's RPC methods of the same names hand their calls here.

import * as v from "valibot";
import { clock } from "../../shared/clock.ts";
import { signReceipt } from "../../shared/receipts.ts";
import {
  type Paid,
  type Payment,
  PaymentSchema,
  type Purchase,
  type Purchased,
  PurchaseSchema,
} from "../../shared/schemas/commerce.ts";
import type { Principal } from "../../shared/schemas/principal.ts";
import type { Replayable } from "../idempotency.ts";
import { actorByName } from "../refusal.ts";
import { Entitlements } from "./entitlements.ts";
import { agentOf, requireUser, type WalletHost } from "./host.ts";
import { proofOfPurchase } from "./proof.ts";
import { buy, type PaymentRecord, type PurchaseRecord, pay, renew } from "./purchases.ts";

export class WalletCommerce {
  private readonly entitlements: Entitlements;

  constructor(private readonly host: WalletHost) {
    this.entitlements = new Entitlements(host.storage.sql);
  }

  /** A subscription's renewal, run by the wallet's scheduler (purchases.ts). */
  async renewSubscription(entitlementId: string): Promise<void> {
    const account = await this.host.book.open(this.host.gate.accountName());
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
    const account = await this.host.gate.opened(name, caller, ["owner"]);
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

  /** Seed 000's freeform pay(): credits to a creation (its share as for a sale), once per
   *  client_operation_id, with a receipt. */
  async pay(name: string, caller: Principal, input: Payment): Promise<Replayable<Paid>> {
    const account = await this.host.gate.opened(name, caller, ["owner"]);
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
    const { paid_at, ...record } = result.body;
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
}
