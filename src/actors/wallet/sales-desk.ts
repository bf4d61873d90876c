// The money of a sale after it is made: the creation's wallet receives its share (once per
// envelope and once per sale) and sums its sales; the platform refunds a purchase, the creation's
// wallet giving its share back first. WalletDO's RPC methods of the same names hand calls here.

import * as v from "valibot";
import { clock } from "../../shared/clock.ts";
import { ApiError, asApiError } from "../../shared/errors.ts";
import type { Principal } from "../../shared/schemas/principal.ts";
import type { Replayable } from "../idempotency.ts";
import type { OutboxEnvelope } from "../outbox.ts";
import { actorByName } from "../refusal.ts";
import { creationAccount } from "./account.ts";
import type { Opened, WalletBook } from "./book.ts";
import { Entitlements } from "./entitlements.ts";
import { requireUser, type WalletHost } from "./host.ts";
import { RULES } from "./mutations.ts";
import { type RefundRecord, refundToBuyer } from "./purchases.ts";
import { type SaleMessage, SaleMessageSchema, Sales } from "./sales.ts";

export class SalesDesk {
  private readonly entitlements: Entitlements;
  private readonly sales: Sales;

  constructor(private readonly host: WalletHost) {
    this.entitlements = new Entitlements(host.storage.sql);
    this.sales = new Sales(host.storage.sql);
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

  /** A creation's sales in [from, to) (ms): gross, shares, per sku, refunds. */
  async salesSummary(name: string, caller: Principal, range: { from: number; to: number }) {
    const account = await this.host.gate.opened(name, caller, RULES.read);
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
    const account = await this.host.gate.opened(name, caller, RULES.refund);
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
    this.host.gate.requireWallet(name, "creation");
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
