// The ledger: buckets of money, transactions, and the postings that move money between them.
// Everything here is synchronous SQL, so a caller that does not await in between is atomic:
// no other request of the single-writer actor can run half-way through a spend.

import type { Audit, Bucket, BucketKind, Transaction } from "../../shared/schemas/wallet.ts";
import { iso, isoOrNull } from "../../shared/time.ts";
import type { BucketRow, TransactionRow } from "./schema.ts";

/** Lower burns first: today's gift before it lapses at midnight, then grants, then money paid.
 *  (Seed 001's example shows the daily gift used while the welcome bonus is untouched.) */
export const BURN_PRIORITY: Record<BucketKind, number> = {
  daily: 0,
  welcome: 1,
  bonus: 1,
  paid: 2,
};

export interface Posting {
  bucketId: number;
  delta: number;
}

/** What a transaction says about itself; amounts and balances are filled in by record(). */
export interface Entry {
  /** The transaction's id when the kind names its own (purchases: see purchase-ids.ts). */
  id?: string;
  kind: Transaction["kind"];
  amount: number;
  type?: string | null;
  description?: string | null;
  reference_id?: string | null;
  on_behalf_of_user_id?: string | null;
  creation_id?: string | null;
  authorization_id?: string | null;
  hold_id?: string | null;
  refund_of?: string | null;
}

const LIVE = "(expires_at IS NULL OR expires_at > ?)";

export class Ledger {
  /** The agent acting for the caller while a change is applied (attributed()): every
   *  transaction written meanwhile names it. */
  private agentId: string | null = null;

  constructor(private readonly sql: SqlStorage) {}

  /** Runs a synchronous change with its transactions attributed to `agentId`. */
  attributed<T>(agentId: string | null, change: () => T): T {
    this.agentId = agentId;
    try {
      return change();
    } finally {
      this.agentId = null;
    }
  }

  /** What can be spent now: the remaining money of buckets that have not lapsed. */
  balance(now: number): number {
    return this.sql
      .exec<{ total: number }>(
        `SELECT COALESCE(SUM(remaining), 0) AS total FROM buckets WHERE remaining > 0 AND ${LIVE}`,
        now,
      )
      .one().total;
  }

  /** Live buckets with money left, in burn order. */
  buckets(now: number): BucketRow[] {
    return this.sql
      .exec<BucketRow>(
        `SELECT * FROM buckets WHERE remaining > 0 AND ${LIVE}
         ORDER BY priority, expires_at IS NULL, expires_at, id`,
        now,
      )
      .toArray();
  }

  bucket(id: number): BucketRow | null {
    return this.sql.exec<BucketRow>("SELECT * FROM buckets WHERE id = ?", id).toArray()[0] ?? null;
  }

  bucketByGrant(grantKey: string): BucketRow | null {
    return (
      this.sql
        .exec<BucketRow>("SELECT * FROM buckets WHERE grant_key = ?", grantKey)
        .toArray()[0] ?? null
    );
  }

  /** Creates an empty bucket; money enters it only through a posting. */
  openBucket(
    kind: BucketKind,
    amount: number,
    now: number,
    options: { expiresAt?: number | null; grantKey?: string | null } = {},
  ): number {
    return this.sql
      .exec<{ id: number }>(
        `INSERT INTO buckets (kind, grant_key, amount, remaining, priority, expires_at, created_at)
         VALUES (?, ?, ?, 0, ?, ?, ?) RETURNING id`,
        kind,
        options.grantKey ?? null,
        amount,
        BURN_PRIORITY[kind],
        options.expiresAt ?? null,
        now,
      )
      .one().id;
  }

  /**
   * Takes `amount` from live buckets in burn order. Returns the live balance it started from
   * (the buckets are all read anyway, so a spend needs no second query for it) and the
   * postings, which are null when the balance is short (nothing is written then).
   */
  planBurn(amount: number, now: number): { postings: Posting[] | null; balance: number } {
    const postings: Posting[] = [];
    let left = amount;
    let balance = 0;
    for (const bucket of this.buckets(now)) {
      balance += bucket.remaining;
      if (left === 0) continue;
      const take = Math.min(left, bucket.remaining);
      postings.push({ bucketId: bucket.id, delta: -take });
      left -= take;
    }
    return { postings: left === 0 ? postings : null, balance };
  }

  /**
   * Gives `amount` back to the buckets money was taken from, the last-burned first, so what
   * stays spent is what the burn order would have taken first. A share whose bucket has lapsed
   * lapses with it: returning it would turn an expired gift into money.
   */
  planReturn(taken: readonly Posting[], amount: number, now: number): Posting[] {
    const postings: Posting[] = [];
    let left = amount;
    for (const { bucketId, delta } of [...taken].reverse()) {
      if (left === 0) break;
      const give = Math.min(left, -delta);
      left -= give;
      const bucket = this.bucket(bucketId);
      if (bucket && (bucket.expires_at === null || bucket.expires_at > now)) {
        postings.push({ bucketId, delta: give });
      }
    }
    return postings;
  }

  /** The postings of one transaction, in the order they were made. */
  postingsOf(seq: number): Posting[] {
    return this.sql
      .exec<{ bucket_id: number; delta: number }>(
        "SELECT bucket_id, delta FROM postings WHERE txn_seq = ? ORDER BY rowid",
        seq,
      )
      .toArray()
      .map((row) => ({ bucketId: row.bucket_id, delta: row.delta }));
  }

  /**
   * Writes a transaction and its postings; the buckets change by exactly the postings.
   * `balanceBefore` is the live balance when the caller has just read it (planBurn).
   */
  record(
    entry: Entry,
    postings: readonly Posting[],
    now: number,
    balanceBefore?: number,
  ): TransactionRow {
    for (const { bucketId, delta } of postings) {
      this.sql.exec("UPDATE buckets SET remaining = remaining + ? WHERE id = ?", delta, bucketId);
    }
    const delta = postings.reduce((sum, posting) => sum + posting.delta, 0);
    const balanceAfter = balanceBefore === undefined ? this.balance(now) : balanceBefore + delta;
    const row = this.sql
      .exec<TransactionRow>(
        `INSERT INTO transactions (id, kind, amount, delta, balance_after, type, description,
           reference_id, on_behalf_of_user_id, creation_id, authorization_id, hold_id, refund_of,
           agent_id, created_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING *`,
        entry.id ?? `txn_${crypto.randomUUID()}`,
        entry.kind,
        entry.amount,
        delta,
        balanceAfter,
        entry.type ?? null,
        entry.description ?? null,
        entry.reference_id ?? null,
        entry.on_behalf_of_user_id ?? null,
        entry.creation_id ?? null,
        entry.authorization_id ?? null,
        entry.hold_id ?? null,
        entry.refund_of ?? null,
        this.agentId,
        now,
      )
      .one();
    for (const { bucketId, delta: change } of postings) {
      this.sql.exec(
        "INSERT INTO postings (txn_seq, bucket_id, delta) VALUES (?, ?, ?)",
        row.seq,
        bucketId,
        change,
      );
    }
    return row;
  }

  transaction(id: string): TransactionRow | null {
    return (
      this.sql.exec<TransactionRow>("SELECT * FROM transactions WHERE id = ?", id).toArray()[0] ??
      null
    );
  }

  /** Newest first; `before` is the `seq` cursor of the previous page. */
  page(limit: number, before: number | null): { rows: TransactionRow[]; next: number | null } {
    const rows = this.sql
      .exec<TransactionRow>(
        "SELECT * FROM transactions WHERE seq < ? ORDER BY seq DESC LIMIT ?",
        before ?? Number.MAX_SAFE_INTEGER,
        limit + 1,
      )
      .toArray();
    const more = rows.length > limit;
    const kept = more ? rows.slice(0, limit) : rows;
    return { rows: kept, next: more ? (kept.at(-1)?.seq ?? null) : null };
  }

  /** Money moved out by spends and captures since `since`, net of their refunds. */
  spentSince(since: number, filter: { authorizationId?: string } = {}): number {
    const byAuthorization = filter.authorizationId ? "AND authorization_id = ?" : "";
    const args = filter.authorizationId ? [since, filter.authorizationId] : [since];
    return this.sql
      .exec<{ total: number }>(
        `SELECT COALESCE(SUM(CASE WHEN kind = 'refund' THEN -amount ELSE amount END), 0) AS total
         FROM transactions WHERE kind IN ('spend', 'capture', 'refund') AND created_at >= ?
         ${byAuthorization}`,
        ...args,
      )
      .one().total;
  }

  /**
   * Recomputes what must hold: every bucket's remaining equals the sum of its postings and is
   * never negative, every transaction's delta equals its postings, the ledger replayed equals
   * the buckets' total, and active holds reserve exactly what their postings took.
   */
  audit(now: number): Audit {
    const problems: string[] = [];
    const drift = this.sql
      .exec<{ id: number; remaining: number; posted: number }>(
        `SELECT b.id, b.remaining, COALESCE(SUM(p.delta), 0) AS posted
         FROM buckets b LEFT JOIN postings p ON p.bucket_id = b.id
         GROUP BY b.id HAVING b.remaining <> posted OR b.remaining < 0`,
      )
      .toArray();
    for (const row of drift) {
      problems.push(`bucket ${row.id}: remaining ${row.remaining}, postings sum ${row.posted}`);
    }
    const badTransactions = this.sql
      .exec<{ id: string; delta: number; posted: number }>(
        `SELECT t.id, t.delta, COALESCE(SUM(p.delta), 0) AS posted
         FROM transactions t LEFT JOIN postings p ON p.txn_seq = t.seq
         GROUP BY t.seq HAVING t.delta <> posted`,
      )
      .toArray();
    for (const row of badTransactions) {
      problems.push(`transaction ${row.id}: delta ${row.delta}, postings sum ${row.posted}`);
    }
    const { buckets_total } = this.sql
      .exec<{ buckets_total: number }>(
        "SELECT COALESCE(SUM(remaining), 0) AS buckets_total FROM buckets",
      )
      .one();
    const { ledger_total } = this.sql
      .exec<{ ledger_total: number }>(
        "SELECT COALESCE(SUM(delta), 0) AS ledger_total FROM transactions",
      )
      .one();
    if (buckets_total !== ledger_total) {
      problems.push(`buckets hold ${buckets_total} but the ledger sums to ${ledger_total}`);
    }
    const { held, reserved } = this.sql
      .exec<{ held: number; reserved: number }>(
        `SELECT COALESCE(SUM(h.amount), 0) AS held,
           COALESCE(-(SELECT SUM(p.delta) FROM postings p JOIN holds a ON a.hold_txn = p.txn_seq
                      WHERE a.status = 'active'), 0) AS reserved
         FROM holds h WHERE h.status = 'active'`,
      )
      .one();
    if (held !== reserved) problems.push(`active holds total ${held} but reserve ${reserved}`);
    return {
      ok: problems.length === 0,
      balance: this.balance(now),
      held,
      buckets_total,
      ledger_total,
      problems,
    };
  }
}

export function toBucket(row: BucketRow): Bucket {
  return {
    id: row.id,
    kind: row.kind,
    amount: row.amount,
    remaining: row.remaining,
    priority: row.priority,
    expires_at: isoOrNull(row.expires_at),
    created_at: iso(row.created_at),
  };
}

export function toTransaction(row: TransactionRow): Transaction {
  return {
    id: row.id,
    kind: row.kind as Transaction["kind"],
    amount: row.amount,
    delta: row.delta,
    balance_after: row.balance_after,
    type: row.type,
    description: row.description,
    reference_id: row.reference_id,
    on_behalf_of_user_id: row.on_behalf_of_user_id,
    creation_id: row.creation_id,
    hold_id: row.hold_id,
    refund_of: row.refund_of,
    ...(row.agent_id === null ? {} : { agent_id: row.agent_id }),
    created_at: iso(row.created_at),
  };
}
