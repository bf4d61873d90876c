// Every change to a wallet, as one table: who may make it, the schema its input must pass
// (inside the actor, again — the actor trusts no router), the name idempotency records it under,
// and what it does. WalletDO.change() runs an entry: open the account, check the caller, parse,
// then apply synchronously under the idempotency key, so effect and record commit together.

import type * as v from "valibot";
import { ApiError, invalidField } from "../../shared/errors.ts";
import type { JsonValue } from "../../shared/json.ts";
import { WALLET_HOLD_TTL_DEFAULT_SECONDS } from "../../shared/limits.ts";
import { type ConsumeResponse, ConsumeSchema } from "../../shared/schemas/billing.ts";
import type { Principal } from "../../shared/schemas/principal.ts";
import {
  CaptureSchema,
  DepositSchema,
  HoldForCreationSchema,
  type HoldRequest,
  type HoldResult,
  HoldSchema,
  RefundSchema,
  ReleaseSchema,
  type Spend,
  SpendSchema,
  type TransactionResult,
  UsageRecordSchema,
} from "../../shared/schemas/wallet.ts";
import type { Role } from "../access.ts";
import type { Sample } from "../estimator-do.ts";
import type { ScheduleRequest } from "../scheduler.ts";
import { insufficientFunds } from "./account.ts";
import { billingView } from "./billing.ts";
import { EXPIRE_HOLD_TASK, holdJobKey, type Opened, type WalletBook } from "./book.ts";
import type { Entry } from "./ledger.ts";

/** Who may do what, by account kind. A creation's own token acts only on its own wallet. */
export const RULES = {
  read: ["owner", "admin", "self", "service"],
  spend: ["owner", "self", "service"],
  deposit: ["service"],
  refund: ["service"],
} as const satisfies Record<string, readonly Role[]>;

/** What a mutation may use besides the book: the request's context and the actor's outbox. */
export interface MutationContext {
  caller: Principal;
  key: string | undefined;
  /** The hold a capture or release acts on. */
  holdId?: string;
  enqueue(
    binding: "ESTIMATOR",
    name: string,
    method: "record",
    message: Sample & JsonValue,
  ): string;
  schedule(request: ScheduleRequest): number;
  cancel(key: string): boolean;
}

export interface Mutation<S extends v.GenericSchema, T> {
  allowed: readonly Role[] | ((account: Opened, caller: Principal) => void);
  /** The change charges a user for a creation: refused while the user is disabled. */
  forCreation?: true;
  schema: S;
  /** The operation idempotency compares: a key reused for another operation is refused. */
  operation(context: MutationContext): string;
  apply(
    book: WalletBook,
    account: Opened,
    input: v.InferOutput<S>,
    now: number,
    context: MutationContext,
  ): T;
}

const mutation = <S extends v.GenericSchema, T>(definition: Mutation<S, T>) => definition;

/** Reserves a hold's amount (402 when the balance is short) and arms its expiry. */
function placeHold(
  book: WalletBook,
  account: Opened,
  request: HoldRequest,
  now: number,
  context: MutationContext,
  attribution: Pick<Entry, "on_behalf_of_user_id" | "creation_id" | "authorization_id">,
): HoldResult {
  const expiresAt = now + (request.ttl_seconds ?? WALLET_HOLD_TTL_DEFAULT_SECONDS) * 1000;
  const entry = {
    type: request.type,
    description: request.description,
    reference_id: request.reference_id ?? context.key,
    ...attribution,
  };
  const placed = book.holds.place({ amount: request.amount, expiresAt, entry }, now);
  if (!placed) throw insufficientFunds(account, book.ledger.balance(now), request.amount);
  context.schedule({
    key: holdJobKey(placed.hold.id),
    task: EXPIRE_HOLD_TASK,
    payload: { hold_id: placed.hold.id },
    at: expiresAt,
  });
  return book.holdResult(placed, now);
}

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

export const MUTATIONS = {
  deposit: mutation({
    allowed: RULES.deposit,
    schema: DepositSchema,
    operation: () => "deposit",
    apply: (book, _account, deposit, now, { key }): TransactionResult =>
      book.result(
        book.credit(deposit.bucket ?? "paid", deposit.amount, now, {
          kind: "deposit",
          description: deposit.description,
          reference_id: deposit.reference_id ?? key,
          expiresAt: deposit.expires_at ? Date.parse(deposit.expires_at) : null,
        }),
      ),
  }),

  spend: mutation({
    allowed: RULES.spend,
    schema: SpendSchema,
    operation: () => "spend",
    apply: (book, account, spend, now, { key }): TransactionResult =>
      book.result(book.debit(account, spendEntry(spend, key), now)),
  }),

  /** A creation spends from a user's wallet on their behalf, only inside the budget the user
   * authorized for it. The router has already proved the user with a `rat_` token. */
  spendOnBehalf: mutation({
    allowed: (account, caller) => {
      if (account.kind !== "user" || caller.type !== "creation") {
        throw new ApiError("FORBIDDEN", "Only a creation spends on a user's behalf.");
      }
    },
    schema: SpendSchema,
    operation: () => "spend-on-behalf",
    apply: (book, account, spend, now, { key, caller }): TransactionResult => {
      // A creation acting for a user must be able to retry without spending twice.
      if (key === undefined) {
        throw invalidField("body", "reference_id", "required when spending for a user");
      }
      const authorization = book.budgets.check(caller.id, spend.amount, now);
      const entry = {
        ...spendEntry(spend, key),
        creation_id: caller.id,
        authorization_id: authorization.id,
      };
      return book.result(book.debit(account, entry, now));
    },
  }),

  /** The platform holds a user's credits for a creation that charges them (an AI session with
   *  ai.payer "user"), only inside the budget the user authorized for that creation. Holds
   *  under a budget count against it while active, so concurrent holds cannot overrun it. */
  holdForCreation: mutation({
    allowed: (account, caller) => {
      if (account.kind !== "user" || caller.type !== "service") {
        throw new ApiError("FORBIDDEN", "Only the platform holds a user's credits for a creation.");
      }
    },
    forCreation: true,
    schema: HoldForCreationSchema,
    operation: () => "hold-for-creation",
    apply: (book, account, request, now, context): HoldResult => {
      const authorization = book.budgets.check(request.creation_id, request.amount, now);
      return placeHold(book, account, request, now, context, {
        creation_id: request.creation_id,
        authorization_id: authorization.id,
      });
    },
  }),

  hold: mutation({
    allowed: RULES.spend,
    schema: HoldSchema,
    operation: () => "hold",
    apply: (book, account, request, now, context): HoldResult =>
      placeHold(book, account, request, now, context, {
        on_behalf_of_user_id: request.on_behalf_of_user_id,
      }),
  }),

  capture: mutation({
    allowed: RULES.spend,
    schema: CaptureSchema,
    operation: ({ holdId }) => `capture:${holdId}`,
    apply: (book, _account, request, now, { holdId = "", cancel }): HoldResult => {
      const settled = book.holds.capture(holdId, request.amount, request.description, now);
      cancel(holdJobKey(holdId));
      return book.holdResult(settled, now);
    },
  }),

  release: mutation({
    allowed: RULES.spend,
    schema: ReleaseSchema,
    operation: ({ holdId }) => `release:${holdId}`,
    apply: (book, _account, _request, now, { holdId = "", cancel }): HoldResult => {
      const settled = book.holds.release(holdId, "released", now);
      cancel(holdJobKey(holdId));
      return book.holdResult(settled, now);
    },
  }),

  /** Records use that cost nothing (an AI reply on a creation's own key): no postings, amount 0. */
  recordUsage: mutation({
    allowed: ["service"],
    schema: UsageRecordSchema,
    operation: () => "usage",
    apply: (book, _account, usage, now, { key }): TransactionResult =>
      book.result(
        book.ledger.record(
          {
            kind: "usage",
            amount: 0,
            type: usage.type,
            description: usage.description,
            reference_id: key,
          },
          [],
          now,
        ),
      ),
  }),

  /** Gives back (part of) an earlier spend or capture, once, to the buckets it came from. */
  refund: mutation({
    allowed: RULES.refund,
    schema: RefundSchema,
    operation: () => "refund",
    apply: (book, _account, refund, now, { key }): TransactionResult =>
      book.result(book.refunds.refund(refund, refund.reference_id ?? key, now)),
  }),

  /** Seed 001: records an operation's AI time, a spend of `seconds` and a sample for
   * estimates. When it cannot pay, the 402 carries the bucket view as `ai_time`. */
  consume: mutation({
    allowed: ["service"],
    schema: ConsumeSchema,
    operation: () => "consume",
    apply: (book, account, consume, now, { key, enqueue }): ConsumeResponse => {
      const before = billingView(book.ledger, now);
      if (before.balance.total < consume.seconds) {
        throw insufficientFunds(account, before.balance.total, consume.seconds, {
          ai_time: before.balance,
        });
      }
      const transaction = book.debit(
        account,
        { kind: "spend", amount: consume.seconds, type: consume.operationType, reference_id: key },
        now,
      );
      enqueue("ESTIMATOR", consume.operationType, "record", {
        seconds: consume.seconds,
        project_size: consume.projectSize ?? null,
        is_update: consume.isUpdate ?? consume.operationType === "update",
      });
      return {
        success: true as const,
        consumed: consume.seconds,
        transactionId: transaction.id,
        ...billingView(book.ledger, now),
      };
    },
  }),
};
