// Refunds give back (part of) an earlier spend or capture, once, to the buckets it came from.

import { ApiError } from "../../shared/errors.ts";
import type { Refund } from "../../shared/schemas/wallet.ts";
import type { Holds } from "./holds.ts";
import type { Ledger, Posting } from "./ledger.ts";
import type { TransactionRow } from "./schema.ts";

export class Refunds {
  constructor(
    private readonly sql: SqlStorage,
    private readonly ledger: Ledger,
    private readonly holds: Holds,
  ) {}

  /** `kinds`: what may be refunded this way; purchases and payments only through their own
   *  refund (purchases.ts), which also takes the creator's share back and ends the entitlement. */
  refund(
    request: Refund,
    referenceId: string | undefined,
    now: number,
    kinds: readonly string[] = ["spend", "capture"],
  ): TransactionRow {
    const original = this.refundable(request.transaction_id, kinds);
    const amount = request.amount ?? original.amount;
    if (amount > original.amount) {
      throw new ApiError(
        "REFUND_EXCEEDS_SPEND",
        `${original.id} spent ${original.amount}; ${amount} cannot be refunded.`,
        { spent: original.amount, requested: amount },
      );
    }
    this.sql.exec("UPDATE transactions SET refunded = 1 WHERE seq = ?", original.seq);
    return this.ledger.record(
      {
        kind: "refund",
        amount,
        type: original.type,
        description: request.description,
        reference_id: referenceId,
        on_behalf_of_user_id: original.on_behalf_of_user_id,
        creation_id: original.creation_id,
        // A refunded on-behalf spend gives its budget back too (budgets count net spend).
        authorization_id: original.authorization_id,
        refund_of: original.id,
      },
      this.ledger.planReturn(this.consumedBy(original), amount, now),
      now,
    );
  }

  private refundable(id: string, kinds: readonly string[]): TransactionRow {
    const original = this.ledger.transaction(id);
    if (!original) throw new ApiError("TRANSACTION_NOT_FOUND", `No transaction ${id}.`);
    if (!kinds.includes(original.kind)) {
      throw new ApiError("NOT_REFUNDABLE", `A ${original.kind} cannot be refunded this way.`, {
        kind: original.kind,
      });
    }
    if (original.refunded) {
      throw new ApiError("ALREADY_REFUNDED", `${original.id} was already refunded.`);
    }
    return original;
  }

  /** What a spend or capture took from each bucket, in burn order. */
  private consumedBy(transaction: TransactionRow): Posting[] {
    if (transaction.kind !== "capture") return this.ledger.postingsOf(transaction.seq);
    const hold = this.holds.get(transaction.hold_id ?? "");
    const returned = new Map<number, number>();
    for (const { bucketId, delta } of this.ledger.postingsOf(transaction.seq)) {
      returned.set(bucketId, (returned.get(bucketId) ?? 0) + delta);
    }
    // The capture returned the last-burned share first; what stays is the rest, in order.
    return this.ledger
      .postingsOf(hold.hold_txn)
      .map(({ bucketId, delta }) => {
        const back = Math.min(-delta, returned.get(bucketId) ?? 0);
        returned.set(bucketId, (returned.get(bucketId) ?? 0) - back);
        return { bucketId, delta: delta + back };
      })
      .filter((posting) => posting.delta !== 0);
  }
}
