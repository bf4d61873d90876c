// The money of one wallet account: its ledger, holds, budgets and refunds, how the account is
// opened (owner learned once, the welcome grant) and the daily gift. WalletDO's RPC methods and
// the mutation table (mutations.ts) work through it; it never checks callers itself.

import { clock } from "../../shared/clock.ts";
import { walletGrants } from "../../shared/config.ts";
import { ApiError } from "../../shared/errors.ts";
import type { HoldResult, TransactionResult, Wallet } from "../../shared/schemas/wallet.ts";
import { iso, nextUtcMidnight, utcDate } from "../../shared/time.ts";
import { assertOwnName } from "../own-name.ts";
import { actorByName } from "../refusal.ts";
import type { ScheduleRequest } from "../scheduler.ts";
import { type Account, insufficientFunds, parseAccount } from "./account.ts";
import { Authorizations } from "./authorizations.ts";
import { Holds, toHoldView } from "./holds.ts";
import { type Entry, Ledger, toBucket, toTransaction } from "./ledger.ts";
import { Refunds } from "./refunds.ts";
import type { HoldRow, TransactionRow } from "./schema.ts";

export const EXPIRE_BUCKET_TASK = "expire-bucket";
export const EXPIRE_HOLD_TASK = "expire-hold";
export const PRUNE_TASK = "prune-idempotency";

export const holdJobKey = (holdId: string) => `hold:${holdId}`;

/** An account with its owner, as learned when it was first opened. */
export type Opened = Account & { name: string; owner: string };

/** What the book needs from its actor: storage, configuration and the scheduler. */
export interface BookHost {
  ctx: DurableObjectState;
  env: Env;
  schedule(request: ScheduleRequest): number;
  cancel(key: string): boolean;
}

type BucketKind = "welcome" | "daily" | "bonus" | "paid";

interface CreditEntry {
  kind: "deposit" | "grant" | "sale";
  description?: string | null;
  reference_id?: string | null;
  grantKey?: string;
  expiresAt?: number | null;
}

export class WalletBook {
  readonly ledger: Ledger;
  readonly holds: Holds;
  readonly budgets: Authorizations;
  readonly refunds: Refunds;
  private opened: Opened | null = null;

  constructor(private readonly host: BookHost) {
    const sql = host.ctx.storage.sql;
    this.ledger = new Ledger(sql);
    this.holds = new Holds(sql, this.ledger);
    this.budgets = new Authorizations(sql, this.ledger, (id) => this.holds.heldUnder(id));
    this.refunds = new Refunds(sql, this.ledger, this.holds);
  }

  /**
   * The account, learned the first time it is used: a creation wallet asks the creation's actor
   * (the owner never changes); a user wallet is its user's, opened with the welcome grant.
   * Every use first grants today's gift.
   */
  async open(name: string): Promise<Opened> {
    const account = this.opened ?? (await this.load(name));
    assertOwnName("wallet", account.name, name);
    this.grantDailyGift(account, clock.now());
    return account;
  }

  /** Takes `entry.amount` in burn order, or throws the account's 402 (nothing written). */
  debit(account: Account, entry: Entry, now: number): TransactionRow {
    const { postings, balance } = this.ledger.planBurn(entry.amount, now);
    if (!postings) throw insufficientFunds(account, balance, entry.amount);
    return this.ledger.record(entry, postings, now, balance);
  }

  /** Opens a bucket holding `amount` (lapsing by a job when it expires) and records it. */
  credit(kind: BucketKind, amount: number, now: number, entry: CreditEntry): TransactionRow {
    const expiresAt = entry.expiresAt ?? null;
    const bucketId = this.ledger.openBucket(kind, amount, now, {
      expiresAt,
      grantKey: entry.grantKey ?? null,
    });
    if (expiresAt !== null) {
      this.host.schedule({
        key: `bucket:${bucketId}`,
        task: EXPIRE_BUCKET_TASK,
        payload: { bucket_id: bucketId },
        at: expiresAt,
      });
    }
    const { kind: entryKind, description, reference_id } = entry;
    return this.ledger.record(
      { kind: entryKind, amount, description, reference_id },
      [{ bucketId, delta: amount }],
      now,
    );
  }

  /** What is left in a bucket lapses at its expiry. */
  expireBucket(bucketId: number): void {
    const bucket = this.ledger.bucket(bucketId);
    if (!bucket || bucket.remaining === 0) return;
    this.host.ctx.storage.transactionSync(() => {
      this.ledger.record(
        { kind: "expire", amount: bucket.remaining, description: `${bucket.kind} credits lapsed` },
        [{ bucketId, delta: -bucket.remaining }],
        clock.now(),
      );
    });
  }

  /** A transaction and the balance right after it. */
  result(transaction: TransactionRow): TransactionResult {
    return { transaction: toTransaction(transaction), balance: transaction.balance_after };
  }

  holdResult(settled: { hold: HoldRow; transaction: TransactionRow }, now: number): HoldResult {
    return {
      hold: toHoldView(settled.hold),
      transaction: toTransaction(settled.transaction),
      balance: this.ledger.balance(now),
      held: this.holds.held(),
    };
  }

  view(account: Opened, now: number): Wallet {
    const base = {
      account: `${account.kind}:${account.id}`,
      balance: this.ledger.balance(now),
      held: this.holds.held(),
      buckets: this.ledger.buckets(now).map(toBucket),
    };
    return account.kind === "creation"
      ? { ...base, creation_id: account.id }
      : { ...base, user_id: account.id, daily_reset_at: iso(nextUtcMidnight(now)) };
  }

  async requireCreation(creationId: string): Promise<{ owner: string }> {
    const creation = await actorByName(this.host.env.CREATION, creationId).projection();
    if (!creation) throw new ApiError("CREATION_NOT_FOUND", "No such creation.");
    return creation;
  }

  private async load(name: string): Promise<Opened> {
    const sql = this.host.ctx.storage.sql;
    const stored = sql
      .exec<{ name: string; owner: string }>("SELECT name, owner FROM account")
      .toArray()[0];
    if (stored) {
      this.opened = { ...parseAccount(stored.name), name: stored.name, owner: stored.owner };
      return this.opened;
    }
    const account = parseAccount(name);
    const owner =
      account.kind === "user" ? account.id : (await this.requireCreation(account.id)).owner;
    this.host.ctx.storage.transactionSync(() => {
      // Two first calls may both have looked the owner up; only one opens the account.
      if (sql.exec("SELECT 1 FROM account").toArray().length > 0) return;
      const now = clock.now();
      sql.exec(
        "INSERT INTO account (only, name, owner, created_at) VALUES (1, ?, ?, ?)",
        name,
        owner,
        now,
      );
      const { welcome } = walletGrants(this.host.env);
      if (account.kind === "user" && welcome > 0) {
        this.credit("welcome", welcome, now, {
          kind: "grant",
          description: "welcome grant",
          grantKey: "welcome",
        });
      }
    });
    this.opened = { ...account, name, owner };
    return this.opened;
  }

  /** Today's gift, granted on the first use of each UTC day; the unique grant key makes a
   * second grant impossible, and the bucket lapses at the next midnight. */
  private grantDailyGift(account: Opened, now: number): void {
    if (account.kind !== "user") return;
    const { daily } = walletGrants(this.host.env);
    const grantKey = `daily:${utcDate(now)}`;
    if (daily === 0 || this.ledger.bucketByGrant(grantKey)) return;
    this.host.ctx.storage.transactionSync(() => {
      this.credit("daily", daily, now, {
        kind: "grant",
        description: "daily gift",
        grantKey,
        expiresAt: nextUtcMidnight(now),
      });
    });
  }
}
