// WalletDO: one per account (`creation:<id>`, `user:<id>`). The single writer of its ledger, so
// "check the balance, then debit" is one synchronous step no concurrent request can split.
// Every mutation takes an optional idempotency key; the key's record is written in the same
// transaction as the effect, so a retry after any failure is answered, never applied twice.

import * as v from "valibot";
import { clock } from "../../shared/clock.ts";
import { billingPackages, walletGrants } from "../../shared/config.ts";
import { ApiError } from "../../shared/errors.ts";
import { WALLET_HOLD_TTL_DEFAULT_SECONDS } from "../../shared/limits.ts";
import type { Authorization, CreateBudget } from "../../shared/schemas/authorization.ts";
import { CreateBudgetSchema } from "../../shared/schemas/authorization.ts";
import {
  type BalanceResponse,
  type CheckSufficient,
  CheckSufficientSchema,
  type Consume,
  type ConsumeResponse,
  ConsumeSchema,
  type SufficientCheckResponse,
} from "../../shared/schemas/billing.ts";
import type { Principal } from "../../shared/schemas/principal.ts";
import {
  type Audit,
  type Capture,
  CaptureSchema,
  type Deposit,
  type DepositResult,
  DepositSchema,
  type HoldRequest,
  type HoldResult,
  HoldSchema,
  type Refund,
  RefundSchema,
  ReleaseSchema,
  type Spend,
  SpendSchema,
  type TransactionPage,
  type TransactionResult,
  type Wallet,
} from "../../shared/schemas/wallet.ts";
import { iso, nextUtcMidnight, utcDate } from "../../shared/time.ts";
import { authorize, type Owned, type Role } from "../access.ts";
import { Actor, type OutboxEnvelope, task } from "../actor.ts";
import { actorByName, refusalsAsValues } from "../refusal.ts";
import { type Account, creationAccount, insufficientFunds, parseAccount } from "./account.ts";
import { Authorizations } from "./authorizations.ts";
import { billingView, sufficiency } from "./billing.ts";
import { Holds, toHoldView } from "./holds.ts";
import { IdempotencyStore, type Replayable } from "./idempotency.ts";
import { type Entry, Ledger, toBucket, toTransaction } from "./ledger.ts";
import { Refunds } from "./refunds.ts";
import { type HoldRow, type TransactionRow, WALLET_MIGRATIONS } from "./schema.ts";

const EXPIRE_BUCKET_TASK = "expire-bucket";
const EXPIRE_HOLD_TASK = "expire-hold";
const PRUNE_TASK = "prune-idempotency";
const PRUNE_CRON = "23 4 * * *";

/** Who may do what, by account kind. A creation's own token acts only on its own wallet. */
const RULES = {
  read: ["owner", "admin", "self", "service"],
  spend: ["owner", "self", "service"],
  deposit: ["service"],
  refund: ["service"],
} as const satisfies Record<string, readonly Role[]>;

type Opened = Account & { name: string; owner: string };

const TransferMessageSchema = v.object({
  to: v.string(),
  from: v.string(),
  amount: v.number(),
  description: v.nullable(v.string()),
  transfer_id: v.string(),
});

export class WalletDO extends Actor {
  static override readonly migrations = WALLET_MIGRATIONS;

  private readonly ledger = new Ledger(this.sql);
  private readonly holdBook = new Holds(this.sql, this.ledger);
  private readonly budgets = new Authorizations(this.sql, this.ledger);
  private readonly refunds = new Refunds(this.sql, this.ledger, this.holdBook);
  private readonly idempotency = new IdempotencyStore(this.ctx.storage);
  private opened: Opened | null = null;

  protected override readonly tasks = {
    [EXPIRE_BUCKET_TASK]: task(v.object({ bucket_id: v.number() }), ({ bucket_id }) =>
      this.expireBucket(bucket_id),
    ),
    [EXPIRE_HOLD_TASK]: task(v.object({ hold_id: v.string() }), ({ hold_id }) => {
      if (this.holdBook.get(hold_id).status === "active") {
        this.holdBook.release(hold_id, "expired", clock.now());
      }
    }),
    [PRUNE_TASK]: task(v.null(), () => this.idempotency.prune()),
  };

  // ── reads ──────────────────────────────────────────────────────────────────────────────

  async view(name: string, caller: Principal): Promise<Wallet> {
    const account = await this.open(name);
    this.check(caller, account, RULES.read);
    return this.wallet(account, clock.now());
  }

  async transactions(
    name: string,
    caller: Principal,
    query: { limit: number; cursor?: string },
  ): Promise<TransactionPage> {
    const account = await this.open(name);
    this.check(caller, account, RULES.read);
    const { rows, next } = this.ledger.page(
      query.limit,
      query.cursor ? Number(query.cursor) : null,
    );
    return {
      transactions: rows.map(toTransaction),
      next_cursor: next === null ? null : String(next),
    };
  }

  /** Recomputes the ledger's invariants (RPC, for operators and tests). */
  audit(): Audit {
    return this.ledger.audit(clock.now());
  }

  // ── mutations ──────────────────────────────────────────────────────────────────────────

  async deposit(
    name: string,
    caller: Principal,
    input: Deposit,
    key?: string,
  ): Promise<Replayable<TransactionResult>> {
    return this.change(
      {
        name,
        caller,
        allowed: RULES.deposit,
        operation: "deposit",
        schema: DepositSchema,
        input,
        key,
      },
      (_account, deposit, now) =>
        this.result(
          this.credit(deposit.bucket ?? "paid", deposit.amount, now, {
            kind: "deposit",
            description: deposit.description,
            reference_id: deposit.reference_id ?? key,
            expiresAt: deposit.expires_at ? Date.parse(deposit.expires_at) : null,
          }),
        ),
    );
  }

  async spend(
    name: string,
    caller: Principal,
    input: Spend,
    key?: string,
  ): Promise<Replayable<TransactionResult>> {
    return this.change(
      { name, caller, allowed: RULES.spend, operation: "spend", schema: SpendSchema, input, key },
      (account, spend, now) => this.result(this.debit(account, spendEntry(spend, key), now)),
    );
  }

  /**
   * A creation spends from a user's wallet on their behalf: only inside the budget the user
   * authorized for that creation. The router has already proved the user with a `rat_` token.
   */
  async spendOnBehalf(
    name: string,
    caller: Principal,
    input: Spend,
    key?: string,
  ): Promise<Replayable<TransactionResult>> {
    const onlyCreations = (account: Opened) => {
      if (account.kind !== "user" || caller.type !== "creation") {
        throw new ApiError("FORBIDDEN", "Only a creation spends on a user's behalf.");
      }
    };
    return this.change(
      {
        name,
        caller,
        allowed: onlyCreations,
        operation: "spend-on-behalf",
        schema: SpendSchema,
        input,
        key,
      },
      (account, spend, now) => {
        const authorization = this.budgets.check(caller.id, spend.amount, now);
        const entry = {
          ...spendEntry(spend, key),
          creation_id: caller.id,
          authorization_id: authorization.id,
        };
        return this.result(this.debit(account, entry, now));
      },
    );
  }

  async hold(
    name: string,
    caller: Principal,
    input: HoldRequest,
    key?: string,
  ): Promise<Replayable<HoldResult>> {
    return this.change(
      { name, caller, allowed: RULES.spend, operation: "hold", schema: HoldSchema, input, key },
      (account, request, now) => {
        const expiresAt = now + (request.ttl_seconds ?? WALLET_HOLD_TTL_DEFAULT_SECONDS) * 1000;
        const placed = this.holdBook.place(
          {
            amount: request.amount,
            expiresAt,
            entry: {
              type: request.type,
              description: request.description,
              reference_id: request.reference_id ?? key,
              on_behalf_of_user_id: request.on_behalf_of_user_id,
            },
          },
          now,
        );
        if (!placed) throw insufficientFunds(account, this.ledger.balance(now), request.amount);
        this.schedule({
          key: holdJobKey(placed.hold.id),
          task: EXPIRE_HOLD_TASK,
          payload: { hold_id: placed.hold.id },
          at: expiresAt,
        });
        return this.holdResult(placed, now);
      },
    );
  }

  async capture(
    name: string,
    caller: Principal,
    holdId: string,
    input: Capture,
    key?: string,
  ): Promise<Replayable<HoldResult>> {
    return this.change(
      {
        name,
        caller,
        allowed: RULES.spend,
        operation: `capture:${holdId}`,
        schema: CaptureSchema,
        input: input ?? {},
        key,
      },
      (_account, request, now) => {
        const settled = this.holdBook.capture(holdId, request.amount, request.description, now);
        this.cancel(holdJobKey(holdId));
        return this.holdResult(settled, now);
      },
    );
  }

  async release(
    name: string,
    caller: Principal,
    holdId: string,
    key?: string,
  ): Promise<Replayable<HoldResult>> {
    return this.change(
      {
        name,
        caller,
        allowed: RULES.spend,
        operation: `release:${holdId}`,
        schema: ReleaseSchema,
        input: {},
        key,
      },
      (_account, _request, now) => {
        const settled = this.holdBook.release(holdId, "released", now);
        this.cancel(holdJobKey(holdId));
        return this.holdResult(settled, now);
      },
    );
  }

  /** Gives back (part of) an earlier spend or capture, once, to the buckets it came from. */
  async refund(
    name: string,
    caller: Principal,
    input: Refund,
    key?: string,
  ): Promise<Replayable<TransactionResult>> {
    return this.change(
      {
        name,
        caller,
        allowed: RULES.refund,
        operation: "refund",
        schema: RefundSchema,
        input,
        key,
      },
      (_account, refund, now) =>
        this.result(this.refunds.refund(refund, refund.reference_id ?? key, now)),
    );
  }

  // ── user wallets: budgets and transfers ────────────────────────────────────────────────

  async grantBudget(name: string, caller: Principal, input: CreateBudget): Promise<Authorization> {
    const account = await this.open(name);
    this.check(caller, account, ["owner"]);
    const budget = v.parse(CreateBudgetSchema, input);
    await this.requireCreation(budget.creation_id);
    return this.ctx.storage.transactionSync(() => this.budgets.grant(budget, clock.now()));
  }

  async listBudgets(name: string, caller: Principal): Promise<Authorization[]> {
    const account = await this.open(name);
    this.check(caller, account, ["owner", "admin", "service"]);
    return this.budgets.list(clock.now());
  }

  async revokeBudget(name: string, caller: Principal, id: string): Promise<Authorization> {
    const account = await this.open(name);
    this.check(caller, account, ["owner"]);
    return this.budgets.revoke(id, clock.now());
  }

  /**
   * The owner of a creation funds its wallet from their own: the debit here and the credit
   * message to the creation's wallet commit together (outbox), so money is never lost or made
   * between the two; the credit is delivered at once and retried until it lands.
   */
  async transferToCreation(
    name: string,
    caller: Principal,
    creationId: string,
    input: Deposit,
    key?: string,
  ): Promise<Replayable<DepositResult>> {
    const account = await this.open(name);
    this.check(caller, account, ["owner"]);
    const deposit = v.parse(DepositSchema, input);
    if (deposit.bucket !== undefined || deposit.expires_at !== undefined) {
      throw new ApiError("FORBIDDEN", "Only the platform may choose a bucket or an expiry.");
    }
    const creation = await this.requireCreation(creationId);
    if (creation.owner !== account.id) {
      throw new ApiError("FORBIDDEN", "Only the creation's owner may fund its wallet.");
    }
    let outboxId: string | null = null;
    const result = this.idempotency.run<DepositResult>(
      key,
      ["transfer", creationId, deposit],
      () => {
        const transaction = this.debit(
          account,
          {
            kind: "transfer_out",
            amount: deposit.amount,
            description: deposit.description,
            reference_id: deposit.reference_id ?? key,
            creation_id: creationId,
          },
          clock.now(),
        );
        const message = {
          to: creationAccount(creationId),
          from: name,
          amount: deposit.amount,
          description: deposit.description ?? null,
          transfer_id: transaction.id,
        };
        outboxId = this.enqueue("WALLET", message.to, "receiveTransfer", message);
        return { ...this.result(transaction), creation_balance: null };
      },
    );
    if (result.replayed) return result;
    // Deliver now so the caller sees the creation's new balance; a failure is retried by the
    // scheduler, and the receiver applies each transfer once whatever happens.
    const answer = outboxId
      ? ((await this.outbox.deliver(outboxId).catch(() => null)) as { balance?: number } | null)
      : null;
    const body = { ...result.body, creation_balance: answer?.balance ?? null };
    // A retry with the key must see this answer too, not the one stored before delivery.
    if (key !== undefined) this.idempotency.replaceBody(key, body);
    return { body, replayed: false };
  }

  /** Outbox receiver: credits a transfer from a user's wallet exactly once. */
  async receiveTransfer(
    envelope: OutboxEnvelope,
  ): Promise<{ transfer_id: string; balance: number }> {
    const message = v.parse(TransferMessageSchema, (envelope as { message: unknown }).message);
    await this.open(message.to);
    this.receiveOnce(envelope, () => {
      this.credit("paid", message.amount, clock.now(), {
        kind: "deposit",
        description: message.description ?? `transfer from ${message.from}`,
        reference_id: message.transfer_id,
      });
    });
    return { transfer_id: message.transfer_id, balance: this.ledger.balance(clock.now()) };
  }

  // ── seed 001: AI time in seconds ───────────────────────────────────────────────────────

  async billingBalance(name: string, caller: Principal): Promise<BalanceResponse> {
    const account = await this.open(name);
    this.check(caller, account, ["owner", "service"]);
    return billingView(this.ledger, clock.now());
  }

  /** Whether the user can afford an operation, estimated from past ones of its kind. */
  async checkSufficient(
    name: string,
    caller: Principal,
    input: CheckSufficient,
  ): Promise<SufficientCheckResponse> {
    const account = await this.open(name);
    this.check(caller, account, ["service"]);
    const request = v.parse(CheckSufficientSchema, input);
    const estimate = await actorByName(this.env.ESTIMATOR, request.operationType).estimate(
      request.projectSize,
      request.isUpdate,
    );
    const { balance } = billingView(this.ledger, clock.now());
    return sufficiency(balance, estimate, billingPackages(this.env));
  }

  /**
   * Records an operation's AI time: a spend of `seconds`, and a sample for estimates. When it
   * cannot pay, the 402 carries seed 001's bucket view as `ai_time` for the compatibility body.
   */
  async consume(
    name: string,
    caller: Principal,
    input: Consume,
    key: string,
  ): Promise<Replayable<ConsumeResponse>> {
    return this.change(
      {
        name,
        caller,
        allowed: ["service"],
        operation: "consume",
        schema: ConsumeSchema,
        input,
        key,
      },
      (account, consume, now) => {
        const before = billingView(this.ledger, now);
        if (before.balance.total < consume.seconds) {
          throw insufficientFunds(account, before.balance.total, consume.seconds, {
            ai_time: before.balance,
          });
        }
        const transaction = this.debit(
          account,
          {
            kind: "spend",
            amount: consume.seconds,
            type: consume.operationType,
            reference_id: key,
          },
          now,
        );
        const sample = {
          seconds: consume.seconds,
          project_size: consume.projectSize ?? null,
          is_update: consume.isUpdate ?? consume.operationType === "update",
        };
        this.enqueue("ESTIMATOR", consume.operationType, "record", sample);
        return {
          success: true as const,
          consumed: consume.seconds,
          transactionId: transaction.id,
          ...billingView(this.ledger, now),
        };
      },
    );
  }

  // ── internals ──────────────────────────────────────────────────────────────────────────

  /**
   * Learns who owns the account the first time it is used. A creation wallet asks the
   * creation's actor (the owner never changes); a user wallet is its user's, and is opened
   * with the welcome grant.
   */
  private async open(name: string): Promise<Opened> {
    const account = this.opened ?? (await this.load(name));
    if (account.name !== name) throw new Error(`This wallet is ${account.name}, not ${name}.`);
    this.grantDailyGift(account, clock.now());
    return account;
  }

  private async load(name: string): Promise<Opened> {
    const stored = this.sql
      .exec<{ name: string; owner: string }>("SELECT name, owner FROM account")
      .toArray()[0];
    if (stored) {
      this.opened = { ...parseAccount(stored.name), name: stored.name, owner: stored.owner };
      return this.opened;
    }
    const account = parseAccount(name);
    const owner =
      account.kind === "user" ? account.id : (await this.requireCreation(account.id)).owner;
    this.ctx.storage.transactionSync(() => {
      // Two first calls may both have looked the owner up; only one opens the account.
      if (this.sql.exec("SELECT 1 FROM account").toArray().length > 0) return;
      const now = clock.now();
      this.sql.exec(
        "INSERT INTO account (only, name, owner, created_at) VALUES (1, ?, ?, ?)",
        name,
        owner,
        now,
      );
      this.schedule({ key: PRUNE_TASK, task: PRUNE_TASK, cron: PRUNE_CRON });
      const { welcome } = walletGrants(this.env);
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
    const { daily } = walletGrants(this.env);
    const grantKey = `daily:${utcDate(now)}`;
    if (daily === 0 || this.ledger.bucketByGrant(grantKey)) return;
    this.ctx.storage.transactionSync(() => {
      this.credit("daily", daily, now, {
        kind: "grant",
        description: "daily gift",
        grantKey,
        expiresAt: nextUtcMidnight(now),
      });
    });
  }

  /** Opens a bucket holding `amount` and records how the money came in. */
  private credit(
    kind: "welcome" | "daily" | "bonus" | "paid",
    amount: number,
    now: number,
    entry: {
      kind: "deposit" | "grant";
      description?: string | null;
      reference_id?: string | null;
      grantKey?: string;
      expiresAt?: number | null;
    },
  ) {
    const expiresAt = entry.expiresAt ?? null;
    const bucketId = this.ledger.openBucket(kind, amount, now, {
      expiresAt,
      grantKey: entry.grantKey ?? null,
    });
    if (expiresAt !== null) {
      this.schedule({
        key: `bucket:${bucketId}`,
        task: EXPIRE_BUCKET_TASK,
        payload: { bucket_id: bucketId },
        at: expiresAt,
      });
    }
    return this.ledger.record(
      {
        kind: entry.kind,
        amount,
        description: entry.description,
        reference_id: entry.reference_id,
      },
      [{ bucketId, delta: amount }],
      now,
    );
  }

  /**
   * The one path of every change: open the account, check the caller, parse the input (again:
   * the actor trusts no router), then apply synchronously under the idempotency key.
   */
  private async change<S extends v.GenericSchema, T extends object>(
    request: {
      name: string;
      caller: Principal;
      allowed: readonly Role[] | ((account: Opened) => void);
      operation: string;
      schema: S;
      input: unknown;
      key: string | undefined;
    },
    apply: (account: Opened, input: v.InferOutput<S>, now: number) => T,
  ): Promise<Replayable<T>> {
    const { name, caller, allowed, operation, schema, key } = request;
    const account = await this.open(name);
    if (typeof allowed === "function") allowed(account);
    else this.check(caller, account, allowed);
    const input = v.parse(schema, request.input);
    return this.idempotency.run(key, [operation, who(caller), input], () =>
      apply(account, input, clock.now()),
    );
  }

  /** Takes `entry.amount` in burn order, or throws the account's 402 (nothing written). */
  private debit(account: Account, entry: Entry, now: number): TransactionRow {
    const postings = this.ledger.planBurn(entry.amount, now);
    if (!postings) throw insufficientFunds(account, this.ledger.balance(now), entry.amount);
    return this.ledger.record(entry, postings, now);
  }

  /** A transaction and the balance right after it. */
  private result(transaction: TransactionRow): TransactionResult {
    return { transaction: toTransaction(transaction), balance: transaction.balance_after };
  }

  private expireBucket(bucketId: number): void {
    const bucket = this.ledger.bucket(bucketId);
    if (!bucket || bucket.remaining === 0) return;
    this.ctx.storage.transactionSync(() => {
      this.ledger.record(
        { kind: "expire", amount: bucket.remaining, description: `${bucket.kind} credits lapsed` },
        [{ bucketId, delta: -bucket.remaining }],
        clock.now(),
      );
    });
  }

  private holdResult(
    settled: { hold: HoldRow; transaction: TransactionRow },
    now: number,
  ): HoldResult {
    return {
      hold: toHoldView(settled.hold),
      transaction: toTransaction(settled.transaction),
      balance: this.ledger.balance(now),
      held: this.holdBook.held(),
    };
  }

  private wallet(account: Opened, now: number): Wallet {
    const base = {
      account: `${account.kind}:${account.id}`,
      balance: this.ledger.balance(now),
      held: this.holdBook.held(),
      buckets: this.ledger.buckets(now).map(toBucket),
    };
    return account.kind === "creation"
      ? { ...base, creation_id: account.id }
      : { ...base, user_id: account.id, daily_reset_at: iso(nextUtcMidnight(now)) };
  }

  private check(caller: Principal, account: Opened, allowed: readonly Role[]): void {
    const owned: Owned = {
      owner: account.owner,
      creationId: account.kind === "creation" ? account.id : null,
    };
    authorize(caller, owned, allowed);
  }

  private async requireCreation(creationId: string): Promise<{ owner: string }> {
    const creation = await actorByName(this.env.CREATION, creationId).projection();
    if (!creation) throw new ApiError("CREATION_NOT_FOUND", "No such creation.");
    return creation;
  }
}

const holdJobKey = (holdId: string) => `hold:${holdId}`;

/** The ledger entry of a spend request. */
function spendEntry(spend: Spend, key: string | undefined): Entry {
  return {
    kind: "spend",
    amount: spend.amount,
    type: spend.type,
    description: spend.description,
    reference_id: spend.reference_id ?? key,
    on_behalf_of_user_id: spend.on_behalf_of_user_id,
  };
}

/** The caller, as part of what makes two requests with one idempotency key the same. */
function who(caller: Principal): string {
  return `${caller.type}:${caller.id}`;
}

refusalsAsValues<WalletDO, Actor>(WalletDO, {
  view: true,
  transactions: true,
  audit: true,
  deposit: true,
  spend: true,
  spendOnBehalf: true,
  hold: true,
  capture: true,
  release: true,
  refund: true,
  grantBudget: true,
  listBudgets: true,
  revokeBudget: true,
  transferToCreation: true,
  receiveTransfer: true,
  billingBalance: true,
  checkSufficient: true,
  consume: true,
});
