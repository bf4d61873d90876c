// WalletDO: one per account (`creation:<id>`, `user:<id>`). The single writer of its ledger, so
// "check the balance, then debit" is one synchronous step no concurrent request can split.
// Every mutation takes an optional idempotency key; the key's record is written in the same
// transaction as the effect, so a retry after any failure is answered, never applied twice.
// This file is the RPC surface; the changes are the table in mutations.ts, the money in book.ts.

import * as v from "valibot";
import { clock } from "../../shared/clock.ts";
import { billingPackages } from "../../shared/config.ts";
import {
  type BalanceResponse,
  type CheckSufficient,
  CheckSufficientSchema,
  type Consume,
  type ConsumeResponse,
  type SufficientCheckResponse,
} from "../../shared/schemas/billing.ts";
import { type Principal, TokenVersionSchema } from "../../shared/schemas/principal.ts";
import { type UserStatusPush, UserStatusPushSchema } from "../../shared/schemas/user-status.ts";
import type {
  Audit,
  Capture,
  Deposit,
  HoldForCreation,
  HoldRequest,
  HoldResult,
  Refund,
  Spend,
  TransactionPage,
  TransactionResult,
  UsageRecord,
  Wallet,
} from "../../shared/schemas/wallet.ts";
import { Actor, task } from "../actor.ts";
import { type KeyState, KeyStateSchema } from "../creation-credentials.ts";
import type { Replayable } from "../idempotency.ts";
import { actorByName, refusalsAsValues } from "../refusal.ts";
import { billingView, sufficiency } from "./billing.ts";
import { EXPIRE_BUCKET_TASK, EXPIRE_HOLD_TASK, PRUNE_TASK, WalletBook } from "./book.ts";
import { WalletCommerce } from "./commerce.ts";
import { WalletDeposits } from "./deposit-flow.ts";
import { EntitlementDesk } from "./entitlement-desk.ts";
import { WalletGate } from "./gate.ts";
import { agentOf, type WalletHost } from "./host.ts";
import { toTransaction } from "./ledger.ts";
import { MUTATIONS, type Mutation, type MutationContext, RULES } from "./mutations.ts";
import { RENEW_SUBSCRIPTION_TASK } from "./purchases.ts";
import { SalesDesk } from "./sales-desk.ts";
import { WALLET_MIGRATIONS } from "./schema.ts";
import { TransferDesk } from "./transfer-desk.ts";
import { UserStatusCopy } from "./user-status.ts";

export class WalletDO extends Actor {
  static override readonly migrations = WALLET_MIGRATIONS;

  /** A user's wallet refuses on-behalf spends while its user is disabled (user-status.ts). */
  private readonly userStatus = new UserStatusCopy(this.ctx.storage.sql);

  private readonly book = new WalletBook({
    ctx: this.ctx,
    env: this.env,
    schedule: (request) => this.schedule(request),
    cancel: (key) => this.cancel(key),
  });
  /** Which wallet a call means and whether its caller may (gate.ts). */
  private readonly gate = new WalletGate(this.ctx.storage.sql, this.env, this.book);

  /** Purchases, payments, entitlements and refunds (users); sales (creations). */
  private readonly host: WalletHost = {
    env: this.env,
    storage: this.ctx.storage,
    book: this.book,
    idempotency: this.idempotency,
    transfers: {
      enqueue: (binding, name, method, message) => this.enqueue(binding, name, method, message),
      deliver: (outboxId) => this.outbox.deliver(outboxId),
    },
    purchases: {
      enqueue: (binding, name, method, message) => this.enqueue(binding, name, method, message),
      schedule: (request) => this.schedule(request),
      cancel: (key) => this.cancel(key),
    },
    gate: this.gate,
    requireUserEnabled: () => this.userStatus.requireEnabled(),
    deliver: (outboxId) => this.outbox.deliver(outboxId),
    messageOf: (envelope, schema) => this.messageOf(envelope as never, schema),
    receiveOnce: (envelope, apply) => this.receiveOnce(envelope, apply),
  };
  private readonly commerce: WalletCommerce = new WalletCommerce(this.host);
  private readonly transfers: TransferDesk = new TransferDesk(this.host);
  private readonly entitlementDesk: EntitlementDesk = new EntitlementDesk(this.host);
  private readonly salesDesk: SalesDesk = new SalesDesk(this.host);
  private readonly deposits: WalletDeposits = new WalletDeposits(this.host);

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
    const account = await this.gate.opened(name, caller, RULES.read);
    return this.book.view(account, clock.now());
  }

  async transactions(
    name: string,
    caller: Principal,
    query: { limit: number; cursor?: string },
  ): Promise<TransactionPage> {
    await this.gate.opened(name, caller, RULES.read);
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

  // ── budgets and transfers (transfer-desk.ts) ──

  grantBudget(...args: Parameters<TransferDesk["grantBudget"]>) {
    return this.transfers.grantBudget(...args);
  }
  listBudgets(...args: Parameters<TransferDesk["listBudgets"]>) {
    return this.transfers.listBudgets(...args);
  }
  revokeBudget(...args: Parameters<TransferDesk["revokeBudget"]>) {
    return this.transfers.revokeBudget(...args);
  }
  transferToCreation(...args: Parameters<TransferDesk["transferToCreation"]>) {
    return this.transfers.transferToCreation(...args);
  }
  receiveTransfer(...args: Parameters<TransferDesk["receiveTransfer"]>) {
    return this.transfers.receiveTransfer(...args);
  }

  // ── commerce (commerce.ts): purchases and entitlements (users), sales (creations) ──────

  purchase(...args: Parameters<WalletCommerce["purchase"]>) {
    return this.commerce.purchase(...args);
  }
  listEntitlements(...args: Parameters<EntitlementDesk["listEntitlements"]>) {
    return this.entitlementDesk.listEntitlements(...args);
  }
  checkEntitlement(...args: Parameters<EntitlementDesk["checkEntitlement"]>) {
    return this.entitlementDesk.checkEntitlement(...args);
  }
  entitlementAccessToken(...args: Parameters<EntitlementDesk["entitlementAccessToken"]>) {
    return this.entitlementDesk.entitlementAccessToken(...args);
  }
  cancelEntitlement(...args: Parameters<EntitlementDesk["cancelEntitlement"]>) {
    return this.entitlementDesk.cancelEntitlement(...args);
  }
  entitlementForCreation(...args: Parameters<EntitlementDesk["entitlementForCreation"]>) {
    return this.entitlementDesk.entitlementForCreation(...args);
  }
  consumeEntitlement(...args: Parameters<EntitlementDesk["consumeEntitlement"]>) {
    return this.entitlementDesk.consumeEntitlement(...args);
  }
  useEntitlement(...args: Parameters<EntitlementDesk["useEntitlement"]>) {
    return this.entitlementDesk.useEntitlement(...args);
  }
  salesSummary(...args: Parameters<SalesDesk["salesSummary"]>) {
    return this.salesDesk.salesSummary(...args);
  }
  refundPurchase(...args: Parameters<SalesDesk["refundPurchase"]>) {
    return this.salesDesk.refundPurchase(...args);
  }
  takeBackSale(...args: Parameters<SalesDesk["takeBackSale"]>) {
    return this.salesDesk.takeBackSale(...args);
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
  receiveSale(...args: Parameters<SalesDesk["receiveSale"]>) {
    return this.salesDesk.receiveSale(...args);
  }

  // ── seed 001: AI time in seconds ───────────────────────────────────────────────────────

  async billingBalance(name: string, caller: Principal): Promise<BalanceResponse> {
    await this.gate.opened(name, caller, ["owner", "service"]);
    return billingView(this.book.ledger, clock.now());
  }

  /** Whether the user can afford an operation, estimated from past ones of its kind. */
  async checkSufficient(
    name: string,
    caller: Principal,
    input: CheckSufficient,
  ): Promise<SufficientCheckResponse> {
    await this.gate.opened(name, caller, ["service"]);
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
    this.gate.requireWallet(name, "creation");
    return { token_version: this.gate.tokenVersion.raise(v.parse(TokenVersionSchema, version)) };
  }

  /** The creation ends one of its secret keys here before a revocation or roll answers. */
  endCreationKey(name: string, keyId: string, state: KeyState): KeyState {
    this.gate.requireWallet(name, "creation");
    return this.gate.creationKeys.record(keyId, v.parse(KeyStateSchema, state));
  }

  // ── disabled users ─────────────────────────────────────────────────────────────────────

  /** The user's actor pushes its disabled flag here before a change commits there (UserDO). */
  applyUserStatus(name: string, push: UserStatusPush): UserStatusPush {
    this.gate.requireWallet(name, "user");
    return this.userStatus.apply(v.parse(UserStatusPushSchema, push));
  }

  // ── internals ──────────────────────────────────────────────────────────────────────────

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
    const account = await this.gate.admitted(name, caller);
    // From here to the commit nothing awaits: the token check and the change are one step.
    if (typeof mutation.allowed === "function") mutation.allowed(account, caller);
    else this.gate.check(caller, account, mutation.allowed);
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
}

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
