// WalletDO: one per account (`creation:<id>`, `user:<id>`). The single writer of its ledger, so
// "check the balance, then debit" is one synchronous step no concurrent request can split.
// Every mutation takes an optional idempotency key; the key's record is written in the same
// transaction as the effect, so a retry after any failure is answered, never applied twice.
// This file is the RPC surface; the changes are the table in mutations.ts, the money in book.ts.

import * as v from "valibot";
import { clock } from "../../shared/clock.ts";
import { billingPackages } from "../../shared/config.ts";
import { ApiError } from "../../shared/errors.ts";
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
import { authorize, type Owned, type Role } from "../access.ts";
import { Actor, type OutboxEnvelope, task } from "../actor.ts";
import { type KeyState, KeyStateSchema } from "../creation-credentials.ts";
import type { Replayable } from "../idempotency.ts";
import { assertOwnName } from "../own-name.ts";
import { actorByName, refusalsAsValues } from "../refusal.ts";
import { parseAccount } from "./account.ts";
import { billingView, sufficiency } from "./billing.ts";
import {
  EXPIRE_BUCKET_TASK,
  EXPIRE_HOLD_TASK,
  type Opened,
  PRUNE_TASK,
  WalletBook,
} from "./book.ts";
import { type CommerceHost, WalletCommerce } from "./commerce.ts";
import { CreationKeys } from "./creation-keys.ts";
import { WalletDeposits } from "./deposit-flow.ts";
import { toTransaction } from "./ledger.ts";
import { MUTATIONS, type Mutation, type MutationContext, RULES } from "./mutations.ts";
import { RENEW_SUBSCRIPTION_TASK } from "./purchases.ts";
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

  private readonly book = new WalletBook({
    ctx: this.ctx,
    env: this.env,
    schedule: (request) => this.schedule(request),
    cancel: (key) => this.cancel(key),
  });

  /** Purchases, payments, entitlements and refunds (users); sales (creations). */
  private readonly commerceHost: CommerceHost = {
    env: this.env,
    storage: this.ctx.storage,
    book: this.book,
    idempotency: this.idempotency,
    purchases: {
      enqueue: (binding, name, method, message) => this.enqueue(binding, name, method, message),
      schedule: (request) => this.schedule(request),
      cancel: (key) => this.cancel(key),
    },
    opened: (name, caller, allowed) => this.opened(name, caller, allowed),
    accountName: () => this.accountName(),
    requireUserEnabled: () => this.userStatus.requireEnabled(),
    requireUserWallet: (name) => this.requireUserWallet(name),
    requireCreationWallet: (name) => this.requireCreationWallet(name),
    deliver: (outboxId) => this.outbox.deliver(outboxId),
    messageOf: (envelope, schema) => this.messageOf(envelope as never, schema),
    receiveOnce: (envelope, apply) => this.receiveOnce(envelope, apply),
  };
  private readonly commerce: WalletCommerce = new WalletCommerce(this.commerceHost);
  private readonly deposits: WalletDeposits = new WalletDeposits(this.commerceHost);

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
      ({ entitlement_id }) => this.commerce.renewSubscription(entitlement_id),
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

  // ── commerce (commerce.ts): purchases and entitlements (users), sales (creations) ──────

  purchase(...args: Parameters<WalletCommerce["purchase"]>) {
    return this.commerce.purchase(...args);
  }

  listEntitlements(...args: Parameters<WalletCommerce["listEntitlements"]>) {
    return this.commerce.listEntitlements(...args);
  }

  checkEntitlement(...args: Parameters<WalletCommerce["checkEntitlement"]>) {
    return this.commerce.checkEntitlement(...args);
  }

  entitlementAccessToken(...args: Parameters<WalletCommerce["entitlementAccessToken"]>) {
    return this.commerce.entitlementAccessToken(...args);
  }

  cancelEntitlement(...args: Parameters<WalletCommerce["cancelEntitlement"]>) {
    return this.commerce.cancelEntitlement(...args);
  }

  entitlementForCreation(...args: Parameters<WalletCommerce["entitlementForCreation"]>) {
    return this.commerce.entitlementForCreation(...args);
  }

  consumeEntitlement(...args: Parameters<WalletCommerce["consumeEntitlement"]>) {
    return this.commerce.consumeEntitlement(...args);
  }

  useEntitlement(...args: Parameters<WalletCommerce["useEntitlement"]>) {
    return this.commerce.useEntitlement(...args);
  }

  salesSummary(...args: Parameters<WalletCommerce["salesSummary"]>) {
    return this.commerce.salesSummary(...args);
  }

  refundPurchase(...args: Parameters<WalletCommerce["refundPurchase"]>) {
    return this.commerce.refundPurchase(...args);
  }

  takeBackSale(...args: Parameters<WalletCommerce["takeBackSale"]>) {
    return this.commerce.takeBackSale(...args);
  }

  pay(...args: Parameters<WalletCommerce["pay"]>) {
    return this.commerce.pay(...args);
  }

  openDeposit(...args: Parameters<WalletDeposits["openDeposit"]>) {
    return this.deposits.openDeposit(...args);
  }

  captureDeposit(...args: Parameters<WalletDeposits["captureDeposit"]>) {
    return this.deposits.captureDeposit(...args);
  }

  releaseDeposit(...args: Parameters<WalletDeposits["releaseDeposit"]>) {
    return this.deposits.releaseDeposit(...args);
  }

  receiveSale(...args: Parameters<WalletCommerce["receiveSale"]>) {
    return this.commerce.receiveSale(...args);
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
  openDeposit: true,
  captureDeposit: true,
  releaseDeposit: true,
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
