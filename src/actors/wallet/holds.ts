// Holds reserve money now and settle later: capture keeps up to the amount held and returns
// the rest, release returns all of it, and the scheduler releases a hold its TTL outlived.

import { ApiError } from "../../shared/errors.ts";
import type { HoldView } from "../../shared/schemas/wallet.ts";
import { iso, isoOrNull } from "../../shared/time.ts";
import type { Entry, Ledger } from "./ledger.ts";
import type { HoldRow, TransactionRow } from "./schema.ts";

export interface PlaceHold {
  amount: number;
  expiresAt: number;
  entry: Omit<Entry, "kind" | "amount" | "hold_id">;
}

export class Holds {
  constructor(
    private readonly sql: SqlStorage,
    private readonly ledger: Ledger,
  ) {}

  /** Reserves the amount; returns null when the balance is short (nothing written). */
  place(request: PlaceHold, now: number): { hold: HoldRow; transaction: TransactionRow } | null {
    const { postings, balance } = this.ledger.planBurn(request.amount, now);
    if (!postings) return null;
    const id = `hold_${crypto.randomUUID()}`;
    const transaction = this.ledger.record(
      { ...request.entry, kind: "hold", amount: request.amount, hold_id: id },
      postings,
      now,
      balance,
    );
    const hold = this.sql
      .exec<HoldRow>(
        `INSERT INTO holds (id, amount, status, type, description, on_behalf_of_user_id, hold_txn,
           expires_at, created_at) VALUES (?, ?, 'active', ?, ?, ?, ?, ?, ?) RETURNING *`,
        id,
        request.amount,
        request.entry.type ?? null,
        request.entry.description ?? null,
        request.entry.on_behalf_of_user_id ?? null,
        transaction.seq,
        request.expiresAt,
        now,
      )
      .one();
    return { hold, transaction };
  }

  get(id: string): HoldRow {
    const hold = this.sql.exec<HoldRow>("SELECT * FROM holds WHERE id = ?", id).toArray()[0];
    if (!hold) throw new ApiError("HOLD_NOT_FOUND", `No hold ${id} in this wallet.`);
    return hold;
  }

  /** Keeps `amount` (default: all) of an active hold as spent and returns the rest. */
  capture(
    id: string,
    amount: number | undefined,
    description: string | undefined,
    now: number,
  ): { hold: HoldRow; transaction: TransactionRow } {
    const hold = this.active(id);
    const captured = amount ?? hold.amount;
    if (captured > hold.amount) {
      throw new ApiError(
        "CAPTURE_EXCEEDS_HOLD",
        `The hold reserves ${hold.amount}; ${captured} cannot be captured.`,
        { held: hold.amount, requested: captured },
      );
    }
    const taken = this.ledger.postingsOf(hold.hold_txn);
    const transaction = this.ledger.record(
      {
        kind: "capture",
        amount: captured,
        type: hold.type,
        description: description ?? hold.description,
        on_behalf_of_user_id: hold.on_behalf_of_user_id,
        hold_id: id,
        // A hold placed under a user's budget is spent under it (budgets count captures).
        ...this.chargedFor(hold),
      },
      this.ledger.planReturn(taken, hold.amount - captured, now),
      now,
    );
    return { hold: this.settle(id, "captured", captured, now), transaction };
  }

  /** Returns all of an active hold: `released` by request, `expired` by its TTL. */
  release(
    id: string,
    status: "released" | "expired",
    now: number,
  ): { hold: HoldRow; transaction: TransactionRow } {
    const hold = this.active(id);
    const taken = this.ledger.postingsOf(hold.hold_txn);
    const transaction = this.ledger.record(
      {
        kind: "release",
        amount: hold.amount,
        type: hold.type,
        description: status === "expired" ? "hold expired" : hold.description,
        on_behalf_of_user_id: hold.on_behalf_of_user_id,
        hold_id: id,
      },
      this.ledger.planReturn(taken, hold.amount, now),
      now,
    );
    return { hold: this.settle(id, status, null, now), transaction };
  }

  /** The creation and budget a hold was placed for, when one was (holdForCreation). */
  private chargedFor(hold: HoldRow): { creation_id?: string; authorization_id?: string } {
    const origin = this.sql
      .exec<{ creation_id: string | null; authorization_id: string | null }>(
        "SELECT creation_id, authorization_id FROM transactions WHERE seq = ?",
        hold.hold_txn,
      )
      .one();
    return {
      ...(origin.creation_id === null ? {} : { creation_id: origin.creation_id }),
      ...(origin.authorization_id === null ? {} : { authorization_id: origin.authorization_id }),
    };
  }

  /** Money active holds reserve under one budget authorization. */
  heldUnder(authorizationId: string): number {
    return this.sql
      .exec<{ total: number }>(
        `SELECT COALESCE(SUM(h.amount), 0) AS total FROM holds h
         JOIN transactions t ON t.seq = h.hold_txn
         WHERE h.status = 'active' AND t.authorization_id = ?`,
        authorizationId,
      )
      .one().total;
  }

  /** Money reserved by active holds. */
  held(): number {
    return this.sql
      .exec<{ total: number }>(
        "SELECT COALESCE(SUM(amount), 0) AS total FROM holds WHERE status = 'active'",
      )
      .one().total;
  }

  private active(id: string): HoldRow {
    const hold = this.get(id);
    if (hold.status !== "active") {
      throw new ApiError("HOLD_NOT_ACTIVE", `The hold is already ${hold.status}.`, {
        hold_id: id,
        hold_status: hold.status,
      });
    }
    return hold;
  }

  private settle(id: string, status: HoldRow["status"], captured: number | null, now: number) {
    return this.sql
      .exec<HoldRow>(
        "UPDATE holds SET status = ?, captured = ?, settled_at = ? WHERE id = ? RETURNING *",
        status,
        captured,
        now,
        id,
      )
      .one();
  }
}

export function toHoldView(row: HoldRow): HoldView {
  return {
    id: row.id,
    amount: row.amount,
    captured: row.captured,
    status: row.status,
    type: row.type,
    description: row.description,
    on_behalf_of_user_id: row.on_behalf_of_user_id,
    expires_at: iso(row.expires_at),
    created_at: iso(row.created_at),
    settled_at: isoOrNull(row.settled_at),
  };
}
