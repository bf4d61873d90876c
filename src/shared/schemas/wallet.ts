// The wallet wire protocol: request bodies the router validates and the actor checks again,
// and the response shapes the OpenAPI document describes. Field names follow seed 000.

import * as v from "valibot";
import { clock } from "../clock.ts";
import { UserIdSchema } from "../ids.ts";
import {
  IDEMPOTENCY_KEY_MAX_LENGTH,
  WALLET_AMOUNT_MAX,
  WALLET_DESCRIPTION_MAX_LENGTH,
  WALLET_HOLD_TTL_MAX_SECONDS,
  WALLET_SPEND_TYPE_MAX_LENGTH,
  WALLET_TRANSACTIONS_PAGE_MAX,
} from "../limits.ts";
import { CreationIdSchema } from "./creation.ts";
import { pageLimitSchema } from "./meta.ts";
import { textSchema } from "./text.ts";

export const AmountSchema = v.pipe(
  v.number("must be a number"),
  v.integer("must be a whole number"),
  v.minValue(1, "must be at least 1"),
  v.maxValue(WALLET_AMOUNT_MAX, `must be at most ${WALLET_AMOUNT_MAX}`),
);

export const IdempotencyKeySchema = v.pipe(
  v.string(),
  v.minLength(1, "must not be empty"),
  v.maxLength(
    IDEMPOTENCY_KEY_MAX_LENGTH,
    `must be at most ${IDEMPOTENCY_KEY_MAX_LENGTH} characters`,
  ),
  v.regex(/^[\x21-\x7e]+$/, "must be printable ASCII without spaces"),
);

const DescriptionSchema = textSchema(WALLET_DESCRIPTION_MAX_LENGTH);

/** What the money was spent on, e.g. "provider_call" (seed 000). */
export const SpendTypeSchema = v.pipe(
  v.string(),
  v.regex(
    new RegExp(`^[A-Za-z0-9_.:-]{1,${WALLET_SPEND_TYPE_MAX_LENGTH}}$`),
    `must be 1–${WALLET_SPEND_TYPE_MAX_LENGTH} letters, digits or _ . : -`,
  ),
);

/** An ISO 8601 time still ahead when the request is checked (at the edge and in the actor). */
export const FutureTimeSchema = v.pipe(
  v.string(),
  v.isoTimestamp("must be an ISO 8601 time with a zone"),
  v.check((time) => Date.parse(time) > clock.now(), "must be in the future"),
);

/** Buckets a deposit may open; the welcome grant and daily gift are the wallet's own. */
export const DepositBucketSchema = v.picklist(["paid", "bonus"]);

export const DepositSchema = v.strictObject({
  amount: AmountSchema,
  reference_id: v.optional(IdempotencyKeySchema),
  description: v.optional(DescriptionSchema),
  /** Service only: "bonus" credits burn before paid ones. Default "paid". */
  bucket: v.optional(DepositBucketSchema),
  /** Service only: when the deposited credits lapse. */
  expires_at: v.optional(FutureTimeSchema),
});

export const SpendSchema = v.strictObject({
  amount: AmountSchema,
  type: SpendTypeSchema,
  description: v.optional(DescriptionSchema),
  reference_id: v.optional(IdempotencyKeySchema),
  /** Attribution only: the user the creation spent for (seed 000). */
  on_behalf_of_user_id: v.optional(UserIdSchema),
});

export const HoldSchema = v.strictObject({
  amount: AmountSchema,
  type: v.optional(SpendTypeSchema),
  description: v.optional(DescriptionSchema),
  reference_id: v.optional(IdempotencyKeySchema),
  ttl_seconds: v.optional(
    v.pipe(
      v.number(),
      v.integer("must be a whole number"),
      v.minValue(1, "must be at least 1"),
      v.maxValue(WALLET_HOLD_TTL_MAX_SECONDS, `must be at most ${WALLET_HOLD_TTL_MAX_SECONDS}`),
    ),
  ),
  on_behalf_of_user_id: v.optional(UserIdSchema),
});

/** A record of metered use that moved no credits (the platform's, for AI on a creation's own
 *  key): it says what was used, so the creation's history shows it. */
export const UsageRecordSchema = v.strictObject({
  type: SpendTypeSchema,
  description: DescriptionSchema,
});
export type UsageRecord = v.InferOutput<typeof UsageRecordSchema>;

/** The platform's hold on a user's wallet for a creation that charges them (AI sessions). */
export const HoldForCreationSchema = v.strictObject({
  ...HoldSchema.entries,
  creation_id: v.pipe(v.string(), v.uuid("must be a creation id")),
});
export type HoldForCreation = v.InferOutput<typeof HoldForCreationSchema>;

export const CaptureSchema = v.strictObject({
  /** Defaults to the whole hold; the rest returns to the wallet. */
  amount: v.optional(AmountSchema),
  description: v.optional(DescriptionSchema),
  reference_id: v.optional(IdempotencyKeySchema),
});

export const ReleaseSchema = v.strictObject({
  reference_id: v.optional(IdempotencyKeySchema),
});

export const RefundSchema = v.strictObject({
  transaction_id: v.pipe(v.string(), v.regex(/^txn_[A-Za-z0-9-]+$/, "must be a transaction id")),
  /** Defaults to the whole amount spent. */
  amount: v.optional(AmountSchema),
  description: v.optional(DescriptionSchema),
  reference_id: v.optional(IdempotencyKeySchema),
});

export const HoldParamsSchema = v.object({
  id: CreationIdSchema,
  hold_id: v.pipe(v.string(), v.regex(/^hold_[A-Za-z0-9-]+$/, "must be a hold id")),
});

export const TransactionsQuerySchema = v.object({
  limit: pageLimitSchema(WALLET_TRANSACTIONS_PAGE_MAX),
  cursor: v.optional(
    v.pipe(v.string(), v.regex(/^\d{1,15}$/, "must be a cursor from next_cursor")),
  ),
});

export const BucketKindSchema = v.picklist(["welcome", "daily", "bonus", "paid"]);

export const BucketSchema = v.object({
  id: v.number(),
  kind: BucketKindSchema,
  amount: v.number(),
  remaining: v.number(),
  /** Lower burns first; ties burn the earliest expiry, then the oldest. */
  priority: v.number(),
  expires_at: v.nullable(v.string()),
  created_at: v.string(),
});

export const WalletSchema = v.object({
  account: v.string(),
  creation_id: v.optional(v.string()),
  user_id: v.optional(v.string()),
  /** What can be spent now: live buckets, holds excluded. */
  balance: v.number(),
  /** Reserved by active holds. */
  held: v.number(),
  buckets: v.array(BucketSchema),
  /** User wallets: when the daily gift next resets (00:00 UTC). */
  daily_reset_at: v.optional(v.string()),
});

export const TransactionKindSchema = v.picklist([
  "deposit",
  "grant",
  "spend",
  "hold",
  "capture",
  "release",
  "refund",
  "expire",
  "transfer_out",
  /** A record of metered use that cost nothing (an AI reply on a creation's own key): amount 0. */
  "usage",
  /** A user bought (or renewed) a creation's product: out of the buyer's wallet. */
  "purchase",
  /** A user paid a creation (seed 000's freeform pay()): out of the buyer's wallet. */
  "payment",
  /** The creator's share of a purchase or payment: into the creation's wallet. */
  "sale",
  /** The creator's share of a refunded sale, taken back from the creation's wallet. */
  "sale_refund",
]);

export const TransactionSchema = v.object({
  id: v.string(),
  kind: TransactionKindSchema,
  /** The amount the operation named (a capture: what was kept; a release: what was held). */
  amount: v.number(),
  /** Change of the spendable balance: negative for money out, 0 for a full capture. */
  delta: v.number(),
  balance_after: v.number(),
  type: v.nullable(v.string()),
  description: v.nullable(v.string()),
  reference_id: v.nullable(v.string()),
  on_behalf_of_user_id: v.nullable(v.string()),
  creation_id: v.nullable(v.string()),
  hold_id: v.nullable(v.string()),
  refund_of: v.nullable(v.string()),
  /** Present when an agent acted for the user: the agent, `owner/name`. */
  agent_id: v.optional(v.string()),
  created_at: v.string(),
});

export const TransactionResultSchema = v.object({
  transaction: TransactionSchema,
  balance: v.number(),
});

/** A deposit. When an owner funds a creation from their own wallet, `transaction` and
 * `balance` are the owner's, and `creation_balance` the creation's after the credit (null
 * while the credit is still on its way). */
export const DepositResultSchema = v.object({
  ...TransactionResultSchema.entries,
  creation_balance: v.optional(v.nullable(v.number())),
});

export const HoldStatusSchema = v.picklist(["active", "captured", "released", "expired"]);

export const HoldViewSchema = v.object({
  id: v.string(),
  amount: v.number(),
  captured: v.nullable(v.number()),
  status: HoldStatusSchema,
  type: v.nullable(v.string()),
  description: v.nullable(v.string()),
  on_behalf_of_user_id: v.nullable(v.string()),
  expires_at: v.string(),
  created_at: v.string(),
  settled_at: v.nullable(v.string()),
});

export const HoldResultSchema = v.object({
  hold: HoldViewSchema,
  transaction: TransactionSchema,
  balance: v.number(),
  held: v.number(),
});

export const TransactionPageSchema = v.object({
  transactions: v.array(TransactionSchema),
  next_cursor: v.nullable(v.string()),
});

export const AuditSchema = v.object({
  ok: v.boolean(),
  balance: v.number(),
  held: v.number(),
  buckets_total: v.number(),
  ledger_total: v.number(),
  problems: v.array(v.string()),
});

export type Deposit = v.InferOutput<typeof DepositSchema>;
export type Spend = v.InferOutput<typeof SpendSchema>;
export type HoldRequest = v.InferOutput<typeof HoldSchema>;
export type Capture = v.InferOutput<typeof CaptureSchema>;
export type Refund = v.InferOutput<typeof RefundSchema>;
export type BucketKind = v.InferOutput<typeof BucketKindSchema>;
export type Bucket = v.InferOutput<typeof BucketSchema>;
export type Wallet = v.InferOutput<typeof WalletSchema>;
export type TransactionKind = v.InferOutput<typeof TransactionKindSchema>;
export type Transaction = v.InferOutput<typeof TransactionSchema>;
export type TransactionResult = v.InferOutput<typeof TransactionResultSchema>;
export type DepositResult = v.InferOutput<typeof DepositResultSchema>;
export type HoldView = v.InferOutput<typeof HoldViewSchema>;
export type HoldResult = v.InferOutput<typeof HoldResultSchema>;
export type TransactionPage = v.InferOutput<typeof TransactionPageSchema>;
export type Audit = v.InferOutput<typeof AuditSchema>;

/** A user's wallet, as the platform addresses it: `/v1/users/:user_id/wallet`. */
export const UserWalletParamsSchema = v.object({ user_id: UserIdSchema });

/** The `Idempotency-Key` header, read with the same rules as `reference_id`. */
export const IdempotencyHeaderSchema = v.object({
  "idempotency-key": v.optional(IdempotencyKeySchema),
});
