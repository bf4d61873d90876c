// WalletDO: one per account (`creation:<id>`, `user:<id>`). The single writer of its ledger, so
// "check the balance, then debit" is one synchronous step no concurrent request can split.
// Every mutation takes an optional idempotency key; the key's record is written in the same
// transaction as the effect, so a retry after any failure is answered, never applied twice.
// This file is the RPC surface; the changes are the table in mutations.ts, the money in book.ts.

import * as v from "valibot";
import { mintEntitlementToken } from "../../shared/access-tokens.ts";
import { clock } from "../../shared/clock.ts";
import { billingPackages } from "../../shared/config.ts";
import { ApiError, asApiError } from "../../shared/errors.ts";
import { signReceipt } from "../../shared/receipts.ts";
import type { Authorization, CreateBudget } from "../../shared/schemas/authorization.ts";
import { CreateBudgetSchema } from "../../shared/schemas/authorization.ts";
import {
  type BalanceResponse,
  type CheckSufficient,
  CheckSufficientSchema,
  type Consume,
  type ConsumeResponse,
  type SufficientCheckResponse,
} from "../../shared/schemas/billing.ts";
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
import {
  isKeyPrincipal,
  type Principal,
  TokenVersionSchema,
} from "../../shared/schemas/principal.ts";
import { type UserStatusPush, UserStatusPushSchema } from "../../shared/schemas/user-status.ts";
import {
  type Audit,
  type Capture,
  type Deposit,
  type DepositResult,
  DepositSchema,
  type HoldForCreation,
  type HoldRequest,
  type HoldResult,
  type Refund,
  type Spend,
  type TransactionPage,
  type TransactionResult,
  type UsageRecord,
  type Wallet,
} from "../../shared/schemas/wallet.ts";
import { iso } from "../../shared/time.ts";
import { authorize, type Owned, type Role } from "../access.ts";
import { Actor, type OutboxEnvelope, task } from "../actor.ts";
import { type KeyState, KeyStateSchema } from "../creation-credentials.ts";
import type { Replayable } from "../idempotency.ts";
import { assertOwnName } from "../own-name.ts";
import { actorByName, refusalsAsValues } from "../refusal.ts";
import { creationAccount, parseAccount } from "./account.ts";
import { billingView, sufficiency } from "./billing.ts";
import {
  EXPIRE_BUCKET_TASK,
  EXPIRE_HOLD_TASK,
  type Opened,
  PRUNE_TASK,
  WalletBook,
} from "./book.ts";
import { CreationKeys } from "./creation-keys.ts";
import { type EntitlementRow, Entitlements, isActive, toEntitlement } from "./entitlements.ts";
import { toTransaction } from "./ledger.ts";
import { MUTATIONS, type Mutation, type MutationContext, RULES } from "./mutations.ts";
import { proofOfPurchase } from "./proof.ts";
import {
  buy,
  cancelRenewal,
  type PaymentRecord,
  type PurchaseHost,
  type PurchaseRecord,
  pay,
  RENEW_SUBSCRIPTION_TASK,
  type RefundRecord,
  refundToBuyer,
  renew,
} from "./purchases.ts";
import { type SaleMessage, SaleMessageSchema, Sales } from "./sales.ts";
import { WALLET_MIGRATIONS } from "./schema.ts";
import { CreationTokenVersion } from "./token-version.ts";
import { type TransferMessage, TransferMessageSchema, transferOut } from "./transfers.ts";
import { UserStatusCopy } from "./user-status.ts";

export class WalletDO extends Actor {
  static override readonly migrations = WALLET_MIGRATIONS;

  /** A creation wallet checks its creation's `rct_` tokens itself (token-version.ts). */
  private readonly tokenVersion = new CreationTokenVersion(this.ctx.storage.sql, this.env);
  private readonly creationKeys = new CreationKeys(this.ctx.storage.sql, this.env);
  /** A user's wallet refuses on-behalf spends while its user is disabled (user-status.ts). */
  private readonly userStatus = new UserStatusCopy(this.ctx.storage.sql);

  /** A user's purchases (entitlements.ts, purchases.ts); a creation's sales (sales.ts). */
  private readonly entitlements = new Entitlements(this.ctx.storage.sql);
  private readonly sales = new Sales(this.ctx.storage.sql);
  private readonly purchaseHost: PurchaseHost = {
    enqueue: (binding, name, method, message) => this.enqueue(binding, name, method, message),
    schedule: (request) => this.schedule(request),
    cancel: (key) => this.cancel(key),
  };

  private readonly book = new WalletBook({
    ctx: this.ctx,
    env: this.env,
    schedule: (request) => this.schedule(request),
    cancel: (key) => this.cancel(key),
  });

  protected override readonly tasks = {
    [EXPIRE_BUCKET_TASK]: task(v.object({ bucket_id: v.number() }), ({ bucket_id }) =>
      this.book.expireBucket(bucket_id),
    ),
    [EXPIRE_HOLD_TASK]: task(v.object({ hold_id: v.string() }), ({ hold_id }) => {
      if (this.book.holds.get(hold_id).status === "active") {
        this.book.holds.release(hold_id, "expired", clock.now());
      }
    }),
    [RENEW_SUBSCRIPTION_TASK]: task(
      v.object({ entitlement_id: v.string() }),
      async ({ entitlement_id }) => {
        const account = await this.book.open(this.accountName());
        const { outcome, outboxId } = this.ctx.storage.transactionSync(() =>
          renew(
            this.book,
            this.entitlements,
            this.purchaseHost,
            account,
            entitlement_id,
            clock.now(),
          ),
        );
        // The creator's share of a renewal now, as for a purchase; retried until it lands.
        if (outboxId) await this.outbox.deliver(outboxId).catch(() => null);
        if (outcome === "lapsed") {
          console.log(
            JSON.stringify({ level: "info", event: "subscription_lapsed", entitlement_id }),
          );
        }
      },
    ),
    // Wallets opened before the runtime kept idempotency records still hold this daily job.
    [PRUNE_TASK]: task(v.null(), () => this.idempotency.prune()),
  };

  // ── reads ──────────────────────────────────────────────────────────────────────────────

  async view(name: string, caller: Principal): Promise<Wallet> {
    const account = await this.opened(name, caller, RULES.read);
    return this.book.view(account, clock.now());
  }

  async transactions(
    name: string,
    caller: Principal,
    query: { limit: number; cursor?: string },
  ): Promise<TransactionPage> {
    await this.opened(name, caller, RULES.read);
    const cursor = query.cursor ? Number(query.cursor) : null;
    const { rows, next } = this.book.ledger.page(query.limit, cursor);
    return {
      transactions: rows.map(toTransaction),
      next_cursor: next === null ? null : String(next),
    };
  }

  /** Recomputes the ledger's invariants (RPC, for operators and tests). */
  audit(): Audit {
    return this.book.ledger.audit(clock.now());
  }

  // ── mutations (mutations.ts) ───────────────────────────────────────────────────────────

  deposit(name: string, caller: Principal, input: Deposit, key?: string) {
    return this.change(MUTATIONS.deposit, { name, caller, input, key });
  }

  spend(name: string, caller: Principal, input: Spend, key?: string) {
    return this.change(MUTATIONS.spend, { name, caller, input, key });
  }

  spendOnBehalf(name: string, caller: Principal, input: Spend, key?: string) {
    return this.change(MUTATIONS.spendOnBehalf, { name, caller, input, key });
  }

  hold(name: string, caller: Principal, input: HoldRequest, key?: string) {
    return this.change(MUTATIONS.hold, { name, caller, input, key });
  }

  recordUsage(name: string, caller: Principal, input: UsageRecord, key?: string) {
    return this.change(MUTATIONS.recordUsage, { name, caller, input, key });
  }

  holdForCreation(name: string, caller: Principal, input: HoldForCreation, key?: string) {
    return this.change(MUTATIONS.holdForCreation, { name, caller, input, key });
  }

  capture(name: string, caller: Principal, holdId: string, input: Capture, key?: string) {
    return this.change(MUTATIONS.capture, { name, caller, input: input ?? {}, key, holdId });
  }

  release(name: string, caller: Principal, holdId: string, key?: string) {
    return this.change(MUTATIONS.release, { name, caller, input: {}, key, holdId });
  }

  refund(name: string, caller: Principal, input: Refund, key?: string) {
    return this.change(MUTATIONS.refund, { name, caller, input, key });
  }

  consume(name: string, caller: Principal, input: Consume, key: string) {
    return this.change(MUTATIONS.consume, { name, caller, input, key });
  }

  // ── user wallets: budgets and transfers ────────────────────────────────────────────────

  async grantBudget(name: string, caller: Principal, input: CreateBudget): Promise<Authorization> {
    await this.opened(name, caller, ["owner"]);
    const budget = v.parse(CreateBudgetSchema, input);
    await this.book.requireCreation(budget.creation_id);
    this.userStatus.requireEnabled();
    return this.ctx.storage.transactionSync(() => this.book.budgets.grant(budget, clock.now()));
  }

  async listBudgets(name: string, caller: Principal): Promise<Authorization[]> {
    await this.opened(name, caller, ["owner", "admin", "service"]);
    return this.book.budgets.list(clock.now());
  }

  async revokeBudget(name: string, caller: Principal, id: string): Promise<Authorization> {
    await this.opened(name, caller, ["owner"]);
    return this.book.budgets.revoke(id, clock.now());
  }

  /** The owner of a creation funds its wallet from their own (transfers.ts). */
  async transferToCreation(
    name: string,
    caller: Principal,
    creationId: string,
    input: Deposit,
    key?: string,
  ): Promise<Replayable<DepositResult>> {
    const account = await this.opened(name, caller, ["owner"]);
    const deposit = v.parse(DepositSchema, input);
    if (deposit.bucket !== undefined || deposit.expires_at !== undefined) {
      throw new ApiError("FORBIDDEN", "Only the platform may choose a bucket or an expiry.");
    }
    const creation = await this.book.requireCreation(creationId);
    if (creation.owner !== account.id) {
      throw new ApiError("FORBIDDEN", "Only the creation's owner may fund its wallet.");
    }
    const host = {
      enqueue: this.enqueue.bind(this),
      deliver: (outboxId: string) => this.outbox.deliver(outboxId),
    };
    return transferOut(this.book, this.idempotency, host, {
      account,
      creationId,
      deposit,
      key,
      agentId: agentOf(caller),
    });
  }

  /** Outbox receiver: credits a transfer from a user's wallet exactly once. */
  async receiveTransfer(
    envelope: OutboxEnvelope<TransferMessage>,
  ): Promise<{ transfer_id: string; balance: number }> {
    const message = this.messageOf(envelope, TransferMessageSchema);
    await this.book.open(message.to);
    this.receiveOnce(envelope, () => {
      this.book.credit("paid", message.amount, clock.now(), {
        kind: "deposit",
        description: message.description ?? `transfer from ${message.from}`,
        reference_id: message.transfer_id,
      });
    });
    return { transfer_id: message.transfer_id, balance: this.book.ledger.balance(clock.now()) };
  }

  // ── commerce: purchases and entitlements (users), sales (creations) ────────────────────

  /**
   * Buys a creation's product (purchases.ts): once per client_operation_id, whose first answer
   * a retry gets again. The creation's terms are read first; the check, the debit and the
   * entitlement are then one synchronous step, so concurrent purchases cannot both pass.
   */
  async purchase(name: string, caller: Principal, input: Purchase): Promise<Replayable<Purchased>> {
    const account = await this.opened(name, caller, ["owner"]);
    requireUser(account);
    const purchase = v.parse(PurchaseSchema, input);
    const key = `purchase:${purchase.client_operation_id}`;
    const request = ["purchase", purchase.scope_id, purchase.sku];
    let result = this.idempotency.peek<PurchaseRecord>(key, request);
    if (!result) {
      this.userStatus.requireEnabled();
      const offer = await actorByName(this.env.CREATION, purchase.scope_id).offer(purchase.sku);
      let outboxId: string | null = null;
      result = this.idempotency.run<PurchaseRecord>(key, request, () =>
        this.book.ledger.attributed(agentOf(caller), () => {
          const now = clock.now();
          const bought = buy(this.book, this.entitlements, this.purchaseHost, account, offer, now);
          outboxId = bought.outboxId;
          return bought.record;
        }),
      );
      // The creator's share now, so the creation sees it at once; retried until it lands.
      if (outboxId) await this.outbox.deliver(outboxId).catch(() => null);
    }
    return {
      body: await proofOfPurchase(this.env, account.id, result.body),
      replayed: result.replayed,
    };
  }

  async listEntitlements(
    name: string,
    caller: Principal,
    query: { limit: number; cursor?: string | undefined; scope_id?: string | undefined },
  ): Promise<EntitlementPage> {
    const account = await this.opened(name, caller, ["owner", "admin", "service"]);
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
    const account = await this.opened(name, caller, ["owner", "admin", "service"]);
    requireUser(account);
    const row = this.entitlements.find(scope.scope_id, scope.sku);
    const now = clock.now();
    if (!row) return { active: false, uses_remaining: null, expires_at: null };
    const view = toEntitlement(row, now);
    return {
      active: view.active,
      uses_remaining: view.uses_remaining,
      expires_at: view.expires_at,
    };
  }

  /** A fresh access token for an entitlement the user holds and may use now. */
  async entitlementAccessToken(name: string, caller: Principal, scope: EntitlementScope) {
    const account = await this.opened(name, caller, ["owner"]);
    requireUser(account);
    const row = this.entitlements.find(scope.scope_id, scope.sku);
    if (!row) {
      throw new ApiError("ENTITLEMENT_NOT_FOUND", "The user has not bought this product here.");
    }
    requireUsable(row, clock.now());
    const access = await mintEntitlementToken(this.env.TOKEN_SECRET, {
      userId: account.id,
      creationId: row.creation_id,
      sku: row.sku,
      entitlementId: row.id,
    });
    return { access_token: access.token, expires_at: iso(access.expiresAt * 1000) };
  }

  /** Stops a subscription renewing; it runs to the end of the period paid for. */
  async cancelEntitlement(name: string, caller: Principal, id: string): Promise<Entitlement> {
    const account = await this.opened(name, caller, ["owner"]);
    requireUser(account);
    const row = this.ctx.storage.transactionSync(() =>
      cancelRenewal(this.entitlements, this.purchaseHost, id, clock.now()),
    );
    return toEntitlement(row, clock.now());
  }

  /** The entitlement an access token names, as its creation may see it (for the token's
   *  verification, after the router opened the token); null when it is not that creation's. */
  entitlementForCreation(name: string, entitlementId: string, creationId: string) {
    this.requireUserWallet(name);
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
    this.requireUserWallet(name);
    const consumeKey = key === undefined ? undefined : `consume:${creationId}:${key}`;
    return this.idempotency.run(consumeKey, ["consume", entitlementId], () => {
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
    const account = await this.opened(name, caller, ["owner"]);
    requireUser(account);
    const row = this.entitlements.find(scope.scope_id, scope.sku);
    if (!row) {
      throw new ApiError("ENTITLEMENT_NOT_FOUND", "The user has not bought this product here.");
    }
    return this.consumeEntitlement(name, row.id, scope.scope_id, key);
  }

  /** A creation's sales in [from, to) (ms): gross, shares, per sku, refunds. */
  async salesSummary(name: string, caller: Principal, range: { from: number; to: number }) {
    const account = await this.admitted(name, caller);
    this.check(caller, account, RULES.read);
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
    const account = await this.opened(name, caller, RULES.refund);
    requireUser(account);
    const key = `refund:${transactionId}`;
    const request = ["refund-purchase", transactionId];
    const prior = this.idempotency.peek<RefundRecord>(key, request);
    if (prior) return prior;
    const purchase = this.entitlements.purchase(transactionId);
    if (!purchase) throw new ApiError("TRANSACTION_NOT_FOUND", `No purchase ${transactionId}.`);
    if (purchase.refunded_at !== null) {
      throw new ApiError("ALREADY_REFUNDED", `${transactionId} was already refunded.`);
    }
    const creation = creationAccount(purchase.creation_id);
    await actorByName(this.env.WALLET, creation).takeBackSale(creation, {
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
    return this.idempotency.run(key, request, () =>
      refundToBuyer(this.book, this.entitlements, this.purchaseHost, purchase, clock.now()),
    );
  }

  /** A refund takes the creator's share of a sale back, once per sale; a sale not delivered
   *  yet is recorded as refunded, so its delivery later credits nothing. */
  async takeBackSale(name: string, input: SaleMessage): Promise<{ returned: number }> {
    this.requireCreationWallet(name);
    const sale = v.parse(SaleMessageSchema, input);
    const account = await this.book.open(name);
    return this.ctx.storage.transactionSync(() => {
      const now = clock.now();
      const recorded = this.sales.get(sale.sale_id);
      if (recorded && recorded.refunded_at !== null) return { returned: 0 };
      if (!recorded) {
        this.sales.record(sale);
        this.sales.markRefunded(sale.sale_id, now);
        return { returned: 0 };
      }
      if (recorded.creator_share > 0)
        takeBack(this.book, account, sale, recorded.creator_share, now);
      this.sales.markRefunded(sale.sale_id, now);
      return { returned: recorded.creator_share };
    });
  }

  /** Seed 000's freeform pay(): credits to a creation (its share as for a sale), once per
   *  client_operation_id, with a receipt. */
  async pay(name: string, caller: Principal, input: Payment): Promise<Replayable<Paid>> {
    const account = await this.opened(name, caller, ["owner"]);
    requireUser(account);
    const payment = v.parse(PaymentSchema, input);
    const key = `payment:${payment.client_operation_id}`;
    const request = ["payment", payment.creation_id, payment.amount, payment.description];
    let result = this.idempotency.peek<PaymentRecord>(key, request);
    if (!result) {
      this.userStatus.requireEnabled();
      const terms = await actorByName(this.env.CREATION, payment.creation_id).paymentTerms();
      let outboxId: string | null = null;
      result = this.idempotency.run<PaymentRecord>(key, request, () =>
        this.book.ledger.attributed(agentOf(caller), () => {
          const paid = pay(this.book, this.purchaseHost, account, terms, payment, clock.now());
          outboxId = paid.outboxId;
          return paid.record;
        }),
      );
      if (outboxId) await this.outbox.deliver(outboxId).catch(() => null);
    }
    const { description: _description, paid_at, ...record } = result.body;
    const receipt = await signReceipt(this.env, {
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
    const message = this.messageOf(envelope, SaleMessageSchema);
    await this.book.open(message.to);
    this.receiveOnce(envelope, () => {
      // Once per sale too, whatever envelope brings it (a refund may have recorded it first).
      if (this.sales.has(message.sale_id)) return;
      if (message.creator_share > 0) {
        this.book.credit("paid", message.creator_share, clock.now(), {
          kind: "sale",
          description: message.description,
          reference_id: message.sale_id,
        });
      }
      this.sales.record(message);
    });
    return { sale_id: message.sale_id };
  }

  // ── seed 001: AI time in seconds ───────────────────────────────────────────────────────

  async billingBalance(name: string, caller: Principal): Promise<BalanceResponse> {
    await this.opened(name, caller, ["owner", "service"]);
    return billingView(this.book.ledger, clock.now());
  }

  /** Whether the user can afford an operation, estimated from past ones of its kind. */
  async checkSufficient(
    name: string,
    caller: Principal,
    input: CheckSufficient,
  ): Promise<SufficientCheckResponse> {
    await this.opened(name, caller, ["service"]);
    const request = v.parse(CheckSufficientSchema, input);
    const estimate = await actorByName(this.env.ESTIMATOR, request.operationType).estimate(
      request.projectSize,
      request.isUpdate,
    );
    const { balance } = billingView(this.book.ledger, clock.now());
    return sufficiency(balance, estimate, billingPackages(this.env));
  }

  // ── creation tokens ────────────────────────────────────────────────────────────────────

  /** The creation raises its token version here before a rotation answers (CreationDO). */
  raiseCreationTokenVersion(name: string, version: number): { token_version: number } {
    this.requireCreationWallet(name);
    return { token_version: this.tokenVersion.raise(v.parse(TokenVersionSchema, version)) };
  }

  /** The creation ends one of its secret keys here before a revocation or roll answers. */
  endCreationKey(name: string, keyId: string, state: KeyState): KeyState {
    this.requireCreationWallet(name);
    return this.creationKeys.record(keyId, v.parse(KeyStateSchema, state));
  }

  // ── disabled users ─────────────────────────────────────────────────────────────────────

  /** The user's actor pushes its disabled flag here before a change commits there (UserDO). */
  applyUserStatus(name: string, push: UserStatusPush): UserStatusPush {
    this.requireUserWallet(name);
    return this.userStatus.apply(v.parse(UserStatusPushSchema, push));
  }

  // ── internals ──────────────────────────────────────────────────────────────────────────

  /** The account this wallet was opened as (its jobs run only in opened wallets). */
  private accountName(): string {
    const stored = this.ctx.storage.sql
      .exec<{ name: string }>("SELECT name FROM account")
      .toArray()[0];
    if (!stored) throw new Error("A wallet job ran in a wallet that was never opened.");
    return stored.name;
  }

  /** Calls from the creation's actor name the wallet they mean; a mix-up is a bug. */
  private requireCreationWallet(name: string): void {
    if (parseAccount(name).kind !== "creation") {
      throw new Error(`${name} is not a creation's wallet.`);
    }
    const stored = this.ctx.storage.sql
      .exec<{ name: string }>("SELECT name FROM account")
      .toArray()[0];
    if (stored) assertOwnName("wallet", stored.name, name);
  }

  /** Calls from the user's actor name the wallet they mean; a mix-up is a bug. */
  private requireUserWallet(name: string): void {
    if (parseAccount(name).kind !== "user") throw new Error(`${name} is not a user's wallet.`);
    const stored = this.ctx.storage.sql
      .exec<{ name: string }>("SELECT name FROM account")
      .toArray()[0];
    if (stored) assertOwnName("wallet", stored.name, name);
  }

  /** The account, opened, once the caller is allowed one of `allowed` on it. */
  private async opened(name: string, caller: Principal, allowed: readonly Role[]) {
    const account = await this.admitted(name, caller);
    this.check(caller, account, allowed);
    return account;
  }

  /** Opens the account and, when its creation calls, learns what check() will hold its
   *  credential to: the token version or the key (from memory after the first call). */
  private async admitted(name: string, caller: Principal): Promise<Opened> {
    const account = await this.book.open(name);
    if (account.kind === "creation" && caller.type === "creation" && caller.id === account.id) {
      if (isKeyPrincipal(caller)) await this.creationKeys.learn(account.id, caller.key_id);
      else await this.tokenVersion.learn(account.id, caller.token_version);
    }
    return account;
  }

  /**
   * The one path of every change (an entry of MUTATIONS): open the account, check the caller,
   * parse the input (again: the actor trusts no router), then apply synchronously under the
   * idempotency key.
   */
  private async change<S extends v.GenericSchema, T extends object>(
    mutation: Mutation<S, T>,
    request: { name: string; caller: Principal; input: unknown; key?: string; holdId?: string },
  ): Promise<Replayable<T>> {
    const { name, caller, key, holdId } = request;
    const account = await this.admitted(name, caller);
    // From here to the commit nothing awaits: the token check and the change are one step.
    if (typeof mutation.allowed === "function") mutation.allowed(account, caller);
    else this.check(caller, account, mutation.allowed);
    // A creation acts on a user's wallet only for the user, never while the user is disabled.
    // Checked before the idempotency record: the refusal lasts only until the user is enabled.
    if (account.kind === "user" && (caller.type === "creation" || mutation.forCreation)) {
      this.userStatus.requireEnabled();
    }
    const input = v.parse(mutation.schema, request.input);
    const context: MutationContext = {
      caller,
      key,
      ...(holdId === undefined ? {} : { holdId }),
      enqueue: this.enqueue.bind(this),
      schedule: (job) => this.schedule(job),
      cancel: (jobKey) => this.cancel(jobKey),
    };
    const operation = mutation.operation(context);
    return this.idempotency.run(key, [operation, `${caller.type}:${caller.id}`, input], () =>
      this.book.ledger.attributed(agentOf(caller), () =>
        mutation.apply(this.book, account, input, clock.now(), context),
      ),
    );
  }

  private check(caller: Principal, account: Opened, allowed: readonly Role[]): void {
    const resource: Owned =
      account.kind === "creation"
        ? {
            owner: account.owner,
            creationId: account.id,
            credentials: {
              tokenVersion: this.tokenVersion.known(),
              key: (keyId) => this.creationKeys.known(keyId),
            },
          }
        : { owner: account.owner, creationId: null };
    authorize(caller, resource, allowed);
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

function requireUser(account: Opened): void {
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

// Keeps the result types of the RPC surface visible where callers look for them.
export type { ConsumeResponse, HoldResult, TransactionResult };

refusalsAsValues<WalletDO, Actor>(WalletDO, {
  holdForCreation: true,
  recordUsage: true,
  endCreationKey: true,
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
  purchase: true,
  pay: true,
  receiveSale: true,
  refundPurchase: true,
  takeBackSale: true,
  listEntitlements: true,
  checkEntitlement: true,
  entitlementAccessToken: true,
  cancelEntitlement: true,
  entitlementForCreation: true,
  consumeEntitlement: true,
  useEntitlement: true,
  salesSummary: true,
  billingBalance: true,
  checkSufficient: true,
  consume: true,
  raiseCreationTokenVersion: true,
  applyUserStatus: true,
});
