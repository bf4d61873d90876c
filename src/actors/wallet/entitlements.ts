// A user's entitlements (seed 000): what they bought from creations, one row per creation and
// sku, kept in their wallet so a purchase debits and grants in one transaction. Buying again
// adds to the row: a period extends, a consumable gains uses, a one-time product refuses
// (ALREADY_PURCHASED). The product is copied in as bought; later catalog changes do not touch it.

import * as v from "valibot";
import { ApiError } from "../../shared/errors.ts";
import {
  type Entitlement,
  type Product,
  ProductSchema,
  type SubscriptionInterval,
} from "../../shared/schemas/commerce.ts";
import { DAY_MS, iso, isoOrNull, sameDayMonthsAfter } from "../../shared/time.ts";
import type { Migration } from "../migrations.ts";

export const ENTITLEMENTS_MIGRATION: Migration = {
  name: "entitlements",
  sql: `
    CREATE TABLE entitlements (
      id TEXT PRIMARY KEY,
      creation_id TEXT NOT NULL,
      sku TEXT NOT NULL,
      type TEXT NOT NULL,
      product TEXT NOT NULL,
      -- The creator's percent of each payment, as agreed at the purchase (renewals use it).
      creator_share_pct INTEGER NOT NULL,
      -- active, lapsed (a subscription not renewed) or refunded; expiry and uses say the rest.
      status TEXT NOT NULL,
      expires_at INTEGER,
      uses_total INTEGER,
      uses_remaining INTEGER,
      auto_renew INTEGER,
      -- A subscription whose renewal could not be paid stays active until then, retrying.
      grace_until INTEGER,
      lapse_reason TEXT,
      created_at INTEGER NOT NULL,
      updated_at INTEGER NOT NULL,
      UNIQUE (creation_id, sku)
    );
    -- Each purchase: what it cost and what the creation got, for refunds and receipts.
    CREATE TABLE purchases (
      transaction_id TEXT PRIMARY KEY,
      entitlement_id TEXT NOT NULL,
      creation_id TEXT NOT NULL,
      sku TEXT NOT NULL,
      amount INTEGER NOT NULL,
      creator_share INTEGER NOT NULL,
      purchased_at INTEGER NOT NULL,
      refunded_at INTEGER
    ) WITHOUT ROWID;`,
};

export type EntitlementRow = {
  id: string;
  creation_id: string;
  sku: string;
  type: Product["type"];
  product: string;
  creator_share_pct: number;
  status: "active" | "lapsed" | "refunded";
  expires_at: number | null;
  uses_total: number | null;
  uses_remaining: number | null;
  auto_renew: number | null;
  grace_until: number | null;
  lapse_reason: string | null;
  created_at: number;
  updated_at: number;
};

/** `ms` plus one `interval`; a month from the 31st ends on the next month's last day. */
export function addInterval(ms: number, interval: SubscriptionInterval): number {
  if (interval === "day") return ms + DAY_MS;
  if (interval === "week") return ms + 7 * DAY_MS;
  return sameDayMonthsAfter(ms, interval === "month" ? 1 : 12);
}

export class Entitlements {
  constructor(private readonly sql: SqlStorage) {}

  /** A subscription's next period paid: it runs to `expiresAt`, out of any grace. */
  renewed(id: string, expiresAt: number, now: number): void {
    this.update(id, now, "expires_at = ?, grace_until = NULL", expiresAt);
  }

  /** A renewal the wallet could not pay: the subscription stays active until `graceUntil`. */
  inGrace(id: string, graceUntil: number, now: number): void {
    this.update(id, now, "grace_until = ?", graceUntil);
  }

  /** The grace ran out unpaid: the subscription ends, saying why. */
  lapse(id: string, reason: string, now: number): void {
    this.update(
      id,
      now,
      "status = 'lapsed', auto_renew = 0, grace_until = NULL, lapse_reason = ?",
      reason,
    );
  }

  /** The buyer cancelled: no more renewals; the period paid for runs to its end. */
  stopRenewal(id: string, now: number): void {
    this.update(id, now, "auto_renew = 0");
  }

  private update(id: string, now: number, assignments: string, ...values: SqlStorageValue[]) {
    // `assignments` is always a constant of this file, never input.
    this.sql.exec(
      `UPDATE entitlements SET ${assignments}, updated_at = ? WHERE id = ?`,
      ...values,
      now,
      id,
    );
  }

  private one(where: string, ...values: SqlStorageValue[]): EntitlementRow | null {
    return (
      this.sql
        .exec<EntitlementRow>(`SELECT * FROM entitlements WHERE ${where}`, ...values)
        .toArray()[0] ?? null
    );
  }

  find(creationId: string, sku: string): EntitlementRow | null {
    return this.one("creation_id = ? AND sku = ?", creationId, sku);
  }

  get(id: string): EntitlementRow | null {
    return this.one("id = ?", id);
  }

  require(id: string): EntitlementRow {
    const row = this.get(id);
    if (!row) throw new ApiError("ENTITLEMENT_NOT_FOUND", "No such entitlement.");
    return row;
  }

  /** Newest first, after `cursor` (an id from the previous page). */
  page(limit: number, cursor: string | undefined, creationId?: string): EntitlementRow[] {
    const after = cursor === undefined ? null : this.get(cursor);
    if (cursor !== undefined && !after) {
      throw new ApiError("INVALID_REQUEST", "The cursor names no entitlement of this user.");
    }
    return this.sql
      .exec<EntitlementRow>(
        `SELECT * FROM entitlements
         WHERE (? IS NULL OR creation_id = ?)
           AND (? IS NULL OR created_at < ? OR (created_at = ? AND id < ?))
         ORDER BY created_at DESC, id DESC LIMIT ?`,
        creationId ?? null,
        creationId ?? null,
        after?.created_at ?? null,
        after?.created_at ?? 0,
        after?.created_at ?? 0,
        after?.id ?? "",
        limit + 1,
      )
      .toArray();
  }

  /**
   * What buying `product` does to this user's entitlement for it, written now; the debit is the
   * caller's, in the same transaction. Refuses a second one-time purchase, and a subscription
   * bought again while it still runs.
   */
  grant(
    creationId: string,
    product: Product,
    creatorSharePct: number,
    now: number,
  ): EntitlementRow {
    const existing = this.find(creationId, product.sku);
    const live = existing && isActive(existing, now);
    if (live && (product.type === "one_time" || product.type === "subscription")) {
      throw new ApiError(
        "ALREADY_PURCHASED",
        product.type === "one_time"
          ? "The user already owns this product."
          : "The user's subscription to this product is running; it renews by itself.",
        { entitlement_id: existing.id },
      );
    }
    const next = nextState(
      existing && existing.status !== "refunded" ? existing : null,
      product,
      now,
    );
    // One statement for a first purchase and a repeat: the row is per creation and sku.
    return this.sql
      .exec<EntitlementRow>(
        `INSERT INTO entitlements (id, creation_id, sku, type, product, creator_share_pct, status,
           expires_at, uses_total, uses_remaining, auto_renew, grace_until, lapse_reason,
           created_at, updated_at)
         VALUES (?, ?, ?, ?, ?, ?, 'active', ?, ?, ?, ?, NULL, NULL, ?, ?)
         ON CONFLICT (creation_id, sku) DO UPDATE SET type = excluded.type,
           product = excluded.product, creator_share_pct = excluded.creator_share_pct,
           status = 'active', expires_at = excluded.expires_at, uses_total = excluded.uses_total,
           uses_remaining = excluded.uses_remaining, auto_renew = excluded.auto_renew,
           grace_until = NULL, lapse_reason = NULL, updated_at = excluded.updated_at
         RETURNING *`,
        `ent_${crypto.randomUUID().replaceAll("-", "")}`,
        creationId,
        product.sku,
        product.type,
        JSON.stringify(product),
        creatorSharePct,
        next.expires_at,
        next.uses_total,
        next.uses_remaining,
        next.auto_renew,
        now,
        now,
      )
      .one();
  }

  /** Uses one of a consumable's uses, or says why not. */
  consume(id: string, now: number): EntitlementRow {
    const row = this.require(id);
    if (row.type !== "consumable") {
      throw new ApiError(
        "ENTITLEMENT_NOT_CONSUMABLE",
        `A ${row.type} entitlement has no uses to use; check it instead.`,
        { entitlement_type: row.type },
      );
    }
    if (row.status !== "active") {
      throw new ApiError("ENTITLEMENT_NOT_ACTIVE", `The entitlement is ${row.status}.`);
    }
    if ((row.uses_remaining ?? 0) <= 0) {
      throw new ApiError("ENTITLEMENT_EXHAUSTED", "The entitlement has no uses left.", {
        uses_remaining: 0,
      });
    }
    this.sql.exec(
      "UPDATE entitlements SET uses_remaining = uses_remaining - 1, updated_at = ? WHERE id = ?",
      now,
      id,
    );
    return this.require(id);
  }

  purchase(transactionId: string): PurchaseRow | null {
    return (
      this.sql
        .exec<PurchaseRow>("SELECT * FROM purchases WHERE transaction_id = ?", transactionId)
        .toArray()[0] ?? null
    );
  }

  /** A refunded purchase ends its entitlement (and a subscription's renewals). */
  markRefunded(purchase: PurchaseRow, now: number): void {
    this.sql.exec(
      "UPDATE purchases SET refunded_at = ? WHERE transaction_id = ?",
      now,
      purchase.transaction_id,
    );
    this.sql.exec(
      `UPDATE entitlements SET status = 'refunded', auto_renew = CASE WHEN auto_renew IS NULL
         THEN NULL ELSE 0 END, grace_until = NULL, updated_at = ? WHERE id = ?`,
      now,
      purchase.entitlement_id,
    );
  }

  recordPurchase(purchase: {
    transaction_id: string;
    entitlement_id: string;
    creation_id: string;
    sku: string;
    amount: number;
    creator_share: number;
    purchased_at: number;
  }): void {
    this.sql.exec(
      `INSERT INTO purchases (transaction_id, entitlement_id, creation_id, sku, amount,
         creator_share, purchased_at) VALUES (?, ?, ?, ?, ?, ?, ?)`,
      purchase.transaction_id,
      purchase.entitlement_id,
      purchase.creation_id,
      purchase.sku,
      purchase.amount,
      purchase.creator_share,
      purchase.purchased_at,
    );
  }
}

export type PurchaseRow = {
  transaction_id: string;
  entitlement_id: string;
  creation_id: string;
  sku: string;
  amount: number;
  creator_share: number;
  purchased_at: number;
  refunded_at: number | null;
};

/** Whether the entitlement grants access now. */
export function isActive(row: EntitlementRow, now: number): boolean {
  if (row.status !== "active") return false;
  const end = Math.max(row.expires_at ?? 0, row.grace_until ?? 0);
  if (row.expires_at !== null && end <= now) return false;
  if (row.type === "consumable" && (row.uses_remaining ?? 0) <= 0) return false;
  return true;
}

function nextState(existing: EntitlementRow | null, product: Product, now: number) {
  const none = { expires_at: null, uses_total: null, uses_remaining: null, auto_renew: null };
  switch (product.type) {
    case "one_time":
      return none;
    case "period": {
      // Buying again extends from the current end while it runs, from now once it has ended.
      const from = Math.max(now, existing?.expires_at ?? now);
      return { ...none, expires_at: from + product.duration_seconds * 1000 };
    }
    case "consumable": {
      const left = existing?.status === "active" ? (existing.uses_remaining ?? 0) : 0;
      const bought = existing?.status === "active" ? (existing.uses_total ?? 0) : 0;
      return {
        ...none,
        uses_total: bought + product.uses_total,
        uses_remaining: left + product.uses_total,
      };
    }
    case "subscription":
      return {
        ...none,
        expires_at: addInterval(now, product.interval),
        auto_renew: product.auto_renew ? 1 : 0,
      };
  }
}

export function toEntitlement(row: EntitlementRow, now: number): Entitlement {
  const active = isActive(row, now);
  const status =
    row.status !== "active"
      ? row.status
      : active
        ? "active"
        : row.type === "consumable"
          ? "exhausted"
          : "expired";
  return {
    id: row.id,
    scope_type: "creation",
    scope_id: row.creation_id,
    sku: row.sku,
    type: row.type,
    status,
    active,
    expires_at: isoOrNull(row.expires_at),
    uses_total: row.uses_total,
    uses_remaining: row.uses_remaining,
    auto_renew: row.auto_renew === null ? null : row.auto_renew === 1,
    lapse_reason: row.lapse_reason,
    product: v.parse(ProductSchema, JSON.parse(row.product)),
    created_at: iso(row.created_at),
    updated_at: iso(row.updated_at),
  };
}
