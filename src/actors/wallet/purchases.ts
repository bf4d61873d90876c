// Buying a creation's product from a user's wallet (seed 000): the debit, the entitlement and
// the record of the purchase commit in one transaction, with the outbox message that credits
// the creator's share to the creation's wallet (delivered at once, retried until it lands,
// applied once). Subscriptions renew here too, on the wallet's scheduler.

import { ApiError } from "../../shared/errors.ts";
import type { JsonValue } from "../../shared/json.ts";
import { SUBSCRIPTION_GRACE_SECONDS, SUBSCRIPTION_RETRY_SECONDS } from "../../shared/limits.ts";
import type { Entitlement, Product } from "../../shared/schemas/commerce.ts";
import { iso } from "../../shared/time.ts";
import type { Offer } from "../creation/catalog.ts";
import type { ScheduleRequest } from "../scheduler.ts";
import { creationAccount } from "./account.ts";
import type { Opened, WalletBook } from "./book.ts";
import {
  addInterval,
  type EntitlementRow,
  type Entitlements,
  type PurchaseRow,
  toEntitlement,
} from "./entitlements.ts";
import { newPurchaseId } from "./routed-ids.ts";
import type { SaleMessage } from "./sales.ts";

export const RENEW_SUBSCRIPTION_TASK = "renew-subscription";
export const renewalJobKey = (entitlementId: string) => `renew:${entitlementId}`;

/** What a purchase stores under its client_operation_id: the first answer, replayed to retries
 *  (the receipt and access token are made from it each time). */
export interface PurchaseRecord {
  entitlement: Entitlement;
  transaction_id: string;
  creation_id: string;
  sku: string;
  amount: number;
  purchased_at: string;
}

export interface PurchaseHost {
  enqueue(
    binding: "WALLET",
    name: string,
    method: "receiveSale",
    message: SaleMessage & JsonValue,
  ): string;
  schedule(request: ScheduleRequest): number;
  cancel(key: string): boolean;
}

/** The creator's part of `price`: whole credits, rounded down; the platform keeps the rest. */
export function creatorShareOf(price: number, pct: number): number {
  return Math.floor((price * pct) / 100);
}

/** Grants, debits and records; throws (and nothing is written) on ALREADY_PURCHASED or 402. */
export function buy(
  book: WalletBook,
  entitlements: Entitlements,
  host: PurchaseHost,
  account: Opened,
  offer: Offer,
  now: number,
): { record: PurchaseRecord; outboxId: string } {
  const { product, creation_id } = offer;
  const row = entitlements.grant(creation_id, product, offer.creator_share_pct, now);
  const creatorShare = creatorShareOf(product.price, offer.creator_share_pct);
  const charged = charge(
    book,
    entitlements,
    host,
    account,
    row,
    product,
    creatorShare,
    now,
    "Purchase",
  );
  if (product.type === "subscription" && product.auto_renew) scheduleRenewal(host, row);
  return {
    record: {
      entitlement: toEntitlement(row, now),
      transaction_id: charged.transactionId,
      creation_id,
      sku: product.sku,
      amount: product.price,
      purchased_at: iso(now),
    },
    outboxId: charged.outboxId,
  };
}

/** One payment for an entitlement: the debit, its record, and the creator's share on its way. */
function charge(
  book: WalletBook,
  entitlements: Entitlements,
  host: PurchaseHost,
  account: Opened,
  row: EntitlementRow,
  product: Product,
  creatorShare: number,
  now: number,
  what: "Purchase" | "Renewal",
): { transactionId: string; outboxId: string } {
  const transaction = book.debit(
    account,
    {
      id: newPurchaseId(account.id),
      kind: "purchase",
      amount: product.price,
      type: product.type,
      description: `${what} of ${product.name} (${product.sku})`,
      creation_id: row.creation_id,
    },
    now,
  );
  entitlements.recordPurchase({
    transaction_id: transaction.id,
    entitlement_id: row.id,
    creation_id: row.creation_id,
    sku: product.sku,
    amount: product.price,
    creator_share: creatorShare,
    purchased_at: now,
  });
  const sale: SaleMessage = {
    to: creationAccount(row.creation_id),
    from: account.name,
    sale_id: transaction.id,
    kind: "purchase",
    sku: product.sku,
    gross: product.price,
    creator_share: creatorShare,
    sold_at: now,
    description: `${what === "Purchase" ? "Sale" : "Renewal"} of ${product.name} (${product.sku})`,
  };
  return {
    transactionId: transaction.id,
    outboxId: host.enqueue("WALLET", sale.to, "receiveSale", sale),
  };
}

function scheduleRenewal(host: PurchaseHost, row: EntitlementRow, at = row.expires_at): void {
  if (at === null) return;
  host.schedule({
    key: renewalJobKey(row.id),
    task: RENEW_SUBSCRIPTION_TASK,
    payload: { entitlement_id: row.id },
    at,
  });
}

/**
 * A subscription's renewal, run by the scheduler at the end of its period: charges the price it
 * was bought at and extends it one interval from the old end. When the wallet cannot pay, the
 * subscription stays active through SUBSCRIPTION_GRACE_SECONDS, retried every
 * SUBSCRIPTION_RETRY_SECONDS; then it lapses, and says why.
 */
export function renew(
  book: WalletBook,
  entitlements: Entitlements,
  host: PurchaseHost,
  account: Opened,
  entitlementId: string,
  now: number,
): { outcome: "renewed" | "retrying" | "lapsed" | "nothing"; outboxId?: string } {
  const row = entitlements.get(entitlementId);
  if (row?.type !== "subscription" || row.status !== "active" || row.auto_renew !== 1) {
    return { outcome: "nothing" };
  }
  if (row.expires_at !== null && now < row.expires_at) {
    scheduleRenewal(host, row); // moved by a purchase or an earlier renewal
    return { outcome: "nothing" };
  }
  const product = JSON.parse(row.product) as Extract<Product, { type: "subscription" }>;
  let outboxId: string;
  try {
    outboxId = charge(
      book,
      entitlements,
      host,
      account,
      row,
      product,
      creatorShareOf(product.price, row.creator_share_pct),
      now,
      "Renewal",
    ).outboxId;
  } catch (error) {
    if (!(error instanceof ApiError) || error.status !== 402) throw error;
    const graceUntil =
      row.grace_until ?? (row.expires_at ?? now) + SUBSCRIPTION_GRACE_SECONDS * 1000;
    if (now < graceUntil) {
      entitlements.inGrace(row.id, graceUntil, now);
      scheduleRenewal(host, row, Math.min(now + SUBSCRIPTION_RETRY_SECONDS * 1000, graceUntil));
      return { outcome: "retrying" };
    }
    entitlements.lapse(
      row.id,
      `The renewal of ${product.price} credits could not be paid (insufficient credits) within the ${SUBSCRIPTION_GRACE_SECONDS / 3600} h grace.`,
      now,
    );
    return { outcome: "lapsed" };
  }
  const next = addInterval(row.expires_at ?? now, product.interval);
  entitlements.renewed(row.id, next, now);
  scheduleRenewal(host, { ...row, expires_at: next });
  return { outcome: "renewed", outboxId };
}

/** Stops a subscription renewing: it stays active to the end of the period paid for. */
export function cancelRenewal(
  entitlements: Entitlements,
  host: PurchaseHost,
  id: string,
  now: number,
): EntitlementRow {
  const row = entitlements.require(id);
  if (row.type !== "subscription") {
    throw new ApiError("ENTITLEMENT_NOT_ACTIVE", "Only a subscription renews; nothing to cancel.", {
      entitlement_type: row.type,
    });
  }
  entitlements.stopRenewal(id, now);
  host.cancel(renewalJobKey(id));
  return entitlements.require(id);
}

/**
 * The buyer's side of a refund (after the creation's wallet gave its share back): the price
 * returns to the buckets it came from, the entitlement ends, and the purchase is marked.
 */
export function refundToBuyer(
  book: WalletBook,
  entitlements: Entitlements,
  host: PurchaseHost,
  purchase: PurchaseRow,
  now: number,
) {
  const transaction = book.refunds.refund(
    { transaction_id: purchase.transaction_id, description: `Refund of ${purchase.sku}` },
    `refund:${purchase.transaction_id}`,
    now,
    ["purchase"],
  );
  entitlements.markRefunded(purchase, now);
  host.cancel(renewalJobKey(purchase.entitlement_id));
  const entitlement = entitlements.require(purchase.entitlement_id);
  return {
    ...book.result(transaction),
    entitlement: toEntitlement(entitlement, now),
    creator_share_returned: purchase.creator_share,
  };
}

/** What the refund's answer says, stored under the refund's key so a retry gets it again. */
export type RefundRecord = ReturnType<typeof refundToBuyer>;

/** What a freeform payment stores under its client_operation_id. */
export interface PaymentRecord {
  transaction_id: string;
  creation_id: string;
  amount: number;
  creator_share: number;
  balance: number;
  paid_at: string;
}

/** Seed 000's pay(): the debit and the creator's share on its way, no entitlement. */
export function pay(
  book: WalletBook,
  host: PurchaseHost,
  account: Opened,
  terms: { creation_id: string; creator_share_pct: number },
  payment: { amount: number; description: string },
  now: number,
): { record: PaymentRecord; outboxId: string } {
  const transaction = book.debit(
    account,
    {
      id: newPurchaseId(account.id),
      kind: "payment",
      amount: payment.amount,
      description: payment.description,
      creation_id: terms.creation_id,
    },
    now,
  );
  const creatorShare = creatorShareOf(payment.amount, terms.creator_share_pct);
  const sale: SaleMessage = {
    to: creationAccount(terms.creation_id),
    from: account.name,
    sale_id: transaction.id,
    kind: "payment",
    sku: null,
    gross: payment.amount,
    creator_share: creatorShare,
    sold_at: now,
    description: `Payment: ${payment.description}`,
  };
  return {
    record: {
      transaction_id: transaction.id,
      creation_id: terms.creation_id,
      amount: payment.amount,
      creator_share: creatorShare,
      balance: transaction.balance_after,
      paid_at: iso(now),
    },
    outboxId: host.enqueue("WALLET", sale.to, "receiveSale", sale),
  };
}
