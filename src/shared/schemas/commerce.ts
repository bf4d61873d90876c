// The wire protocol of commerce inside creations (seed 000): a creation's products, buying
// them, the entitlements bought, receipts and access tokens, freeform payments and deposits.

import * as v from "valibot";
import {
  ACCESS_TOKEN_MAX_CHARS,
  CLIENT_OPERATION_ID_MAX_CHARS,
  COMMERCE_ID_MAX_CHARS,
  DEPOSIT_TTL_MAX_SECONDS,
  ENTITLEMENTS_PAGE_MAX,
  INSTANT_QUERY_MAX_CHARS,
  PRODUCT_DESCRIPTION_MAX_CHARS,
  PRODUCT_NAME_MAX_CHARS,
  PRODUCT_PERIOD_MAX_SECONDS,
  PRODUCT_PERIOD_MIN_SECONDS,
  PRODUCT_PRICE_MAX,
  PRODUCT_USES_MAX,
  PRODUCTS_PER_CREATION_MAX,
} from "../limits.ts";
import { CreationIdSchema } from "./creation.ts";
import { pageLimitSchema } from "./meta.ts";
import { lineSchema, textSchema } from "./text.ts";

export const EntitlementIdSchema = v.pipe(
  v.string(),
  v.regex(/^ent_[0-9a-f]{32}$/, "must be an entitlement id"),
);

const whole = (min: number, max: number) =>
  v.pipe(v.number(), v.integer(), v.minValue(min), v.maxValue(max));

export const SkuSchema = v.pipe(
  v.string(),
  v.regex(
    /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/,
    "must be 1-64 of A-Z, a-z, 0-9, _, . and -, starting with a letter or digit",
  ),
);

export const ProductTypeSchema = v.picklist(["one_time", "period", "consumable", "subscription"]);
export type ProductType = v.InferOutput<typeof ProductTypeSchema>;

export const SubscriptionIntervalSchema = v.picklist(["day", "week", "month", "year"]);
export type SubscriptionInterval = v.InferOutput<typeof SubscriptionIntervalSchema>;

const productBase = {
  sku: SkuSchema,
  name: lineSchema(PRODUCT_NAME_MAX_CHARS),
  description: v.optional(textSchema(PRODUCT_DESCRIPTION_MAX_CHARS), ""),
  /** Credits, a whole number. */
  price: whole(1, PRODUCT_PRICE_MAX),
  currency: v.optional(v.literal("credits"), "credits"),
};

/** A product as its creation defines it: the fields of its type and no other. */
export const ProductSchema = v.variant("type", [
  v.strictObject({ ...productBase, type: v.literal("one_time") }),
  v.strictObject({
    ...productBase,
    type: v.literal("period"),
    duration_seconds: whole(PRODUCT_PERIOD_MIN_SECONDS, PRODUCT_PERIOD_MAX_SECONDS),
  }),
  v.strictObject({
    ...productBase,
    type: v.literal("consumable"),
    uses_total: whole(1, PRODUCT_USES_MAX),
  }),
  v.strictObject({
    ...productBase,
    type: v.literal("subscription"),
    interval: SubscriptionIntervalSchema,
    auto_renew: v.optional(v.boolean(), true),
  }),
]);
export type Product = v.InferOutput<typeof ProductSchema>;

export const PutProductsSchema = v.strictObject({
  products: v.pipe(
    v.array(ProductSchema),
    v.maxLength(PRODUCTS_PER_CREATION_MAX, `must list at most ${PRODUCTS_PER_CREATION_MAX}`),
    v.check(
      (products) => new Set(products.map((product) => product.sku)).size === products.length,
      "must not repeat a sku",
    ),
  ),
});
export type PutProducts = v.InferOutput<typeof PutProductsSchema>;

export const ProductListSchema = v.object({
  creation_id: CreationIdSchema,
  /** Whether the creation takes payments (its settings' permissions include "payments"). */
  payments_enabled: v.boolean(),
  products: v.array(ProductSchema),
});
export type ProductList = v.InferOutput<typeof ProductListSchema>;

export const ClientOperationIdSchema = v.pipe(
  v.string(),
  v.minLength(1, "must not be empty"),
  v.maxLength(CLIENT_OPERATION_ID_MAX_CHARS),
  v.regex(/^[\x21-\x7e]+$/, "must be printable ASCII without spaces"),
);

/** What one purchase is about: seed 000's scope (only creations sell here) and the sku. */
export const EntitlementScopeSchema = v.strictObject({
  scope_type: v.literal("creation"),
  scope_id: CreationIdSchema,
  sku: SkuSchema,
});
export type EntitlementScope = v.InferOutput<typeof EntitlementScopeSchema>;

export const PurchaseSchema = v.strictObject({
  ...EntitlementScopeSchema.entries,
  client_operation_id: ClientOperationIdSchema,
});
export type Purchase = v.InferOutput<typeof PurchaseSchema>;

export const EntitlementStatusSchema = v.picklist([
  "active",
  "expired",
  "exhausted",
  "lapsed",
  "refunded",
]);

/** An entitlement as its owner sees it. */
export const EntitlementSchema = v.object({
  id: v.string(),
  scope_type: v.literal("creation"),
  scope_id: v.string(),
  sku: v.string(),
  type: ProductTypeSchema,
  status: EntitlementStatusSchema,
  active: v.boolean(),
  /** null: never (one_time, consumable). */
  expires_at: v.nullable(v.string()),
  uses_total: v.nullable(v.number()),
  uses_remaining: v.nullable(v.number()),
  /** Subscriptions: whether it renews at expires_at, and why it stopped when it did. */
  auto_renew: v.nullable(v.boolean()),
  lapse_reason: v.nullable(v.string()),
  /** The product as it was bought (later catalog changes do not change it). */
  product: ProductSchema,
  created_at: v.string(),
  updated_at: v.string(),
});
export type Entitlement = v.InferOutput<typeof EntitlementSchema>;

export const PurchasedSchema = v.object({
  entitlement: EntitlementSchema,
  /** Ed25519 JWS (compact); verify with /.well-known/jwks.json or /v1/purchase-receipts/verify. */
  receipt: v.string(),
  access_token: v.string(),
  access_token_expires_at: v.string(),
  transaction_id: v.string(),
});
export type Purchased = v.InferOutput<typeof PurchasedSchema>;

export const EntitlementQuerySchema = v.object({
  scope_type: v.literal("creation"),
  scope_id: CreationIdSchema,
  sku: SkuSchema,
});

export const EntitlementCheckSchema = v.object({
  active: v.boolean(),
  /** Consumables: the uses bought, so a page can tell how many were used. */
  uses_total: v.nullable(v.number()),
  uses_remaining: v.nullable(v.number()),
  expires_at: v.nullable(v.string()),
});

export const EntitlementPageQuerySchema = v.object({
  limit: pageLimitSchema(ENTITLEMENTS_PAGE_MAX),
  /** From the previous page's next_cursor: an entitlement id. */
  cursor: v.optional(EntitlementIdSchema),
  scope_id: v.optional(CreationIdSchema),
});

export const EntitlementPageSchema = v.object({
  entitlements: v.array(EntitlementSchema),
  next_cursor: v.nullable(v.string()),
});
export type EntitlementPage = v.InferOutput<typeof EntitlementPageSchema>;

export const AccessTokenAnswerSchema = v.object({
  access_token: v.string(),
  expires_at: v.string(),
});

/** What a creation learns from an entitlement's access token: never who bought it. */
export const EntitlementVerifiedSchema = v.union([
  v.object({
    valid: v.literal(true),
    sku: v.string(),
    type: ProductTypeSchema,
    uses_remaining: v.nullable(v.number()),
    expires_at: v.nullable(v.string()),
    /** Opaque and stable per buyer and creation: another creation sees another id. */
    entitlement_id: v.string(),
  }),
  v.object({ valid: v.literal(false), reason: v.string() }),
]);

export const TokenInBodySchema = v.strictObject({
  access_token: v.optional(v.pipe(v.string(), v.maxLength(ACCESS_TOKEN_MAX_CHARS))),
  token: v.optional(v.pipe(v.string(), v.maxLength(ACCESS_TOKEN_MAX_CHARS))),
});
export const TokenInQuerySchema = v.object({
  token: v.optional(v.pipe(v.string(), v.maxLength(ACCESS_TOKEN_MAX_CHARS))),
});

export const ReceiptPayloadSchema = v.object({
  user_id: v.string(),
  creation_id: v.string(),
  transaction_id: v.string(),
  /** null for a freeform payment. */
  sku: v.nullable(v.string()),
  amount: v.number(),
  purchased_at: v.string(),
});
export type ReceiptPayload = v.InferOutput<typeof ReceiptPayloadSchema>;

export const ReceiptVerifiedSchema = v.union([
  v.object({ valid: v.literal(true), payload: ReceiptPayloadSchema }),
  v.object({ valid: v.literal(false) }),
]);

export const EntitlementParamsSchema = v.object({ entitlement_id: EntitlementIdSchema });

export const ConsumeParamsSchema = v.object({
  token: v.pipe(v.string(), v.minLength(1), v.maxLength(ACCESS_TOKEN_MAX_CHARS)),
});

/** An instant as ISO 8601 (a date, or a date and time with its zone). */
const InstantQuerySchema = v.pipe(
  v.string(),
  v.maxLength(INSTANT_QUERY_MAX_CHARS),
  v.check(
    (text) => /^\d{4}-\d{2}-\d{2}/.test(text) && Number.isFinite(Date.parse(text)),
    "must be an ISO 8601 date or time",
  ),
  v.transform((text) => Date.parse(text)),
);

export const SalesSummaryQuerySchema = v.object({
  /** From this instant (default: the beginning), to this one (default: now), [from, to). */
  from: v.optional(InstantQuerySchema),
  to: v.optional(InstantQuerySchema),
});

const SharesSchema = {
  gross: v.number(),
  creator_share: v.number(),
  platform_share: v.number(),
  count: v.number(),
};

export const SalesSummarySchema = v.object({
  creation_id: v.string(),
  from: v.string(),
  to: v.string(),
  ...SharesSchema,
  by_sku: v.array(
    v.object({
      sku: v.nullable(v.string()),
      kind: v.picklist(["purchase", "payment"]),
      ...SharesSchema,
    }),
  ),
  /** Sales in the range refunded since (their amounts are in the totals above too). */
  refunds: v.object({ count: v.number(), gross: v.number(), creator_share: v.number() }),
});

/** Seed 000's freeform pay(): credits to a creation, no entitlement. */
export const PaymentSchema = v.strictObject({
  creation_id: CreationIdSchema,
  amount: whole(1, PRODUCT_PRICE_MAX),
  description: lineSchema(PRODUCT_NAME_MAX_CHARS),
  client_operation_id: ClientOperationIdSchema,
});
export type Payment = v.InferOutput<typeof PaymentSchema>;

export const PaidSchema = v.object({
  transaction_id: v.string(),
  creation_id: v.string(),
  amount: v.number(),
  creator_share: v.number(),
  balance: v.number(),
  receipt: v.string(),
});
export type Paid = v.InferOutput<typeof PaidSchema>;

/** Seed 000's holdDeposit(): credits held for a creation, which captures or releases them. */
export const OpenDepositSchema = v.strictObject({
  creation_id: CreationIdSchema,
  amount: whole(1, PRODUCT_PRICE_MAX),
  ttl_seconds: whole(1, DEPOSIT_TTL_MAX_SECONDS),
  description: v.optional(lineSchema(PRODUCT_NAME_MAX_CHARS)),
  client_operation_id: ClientOperationIdSchema,
});
export type OpenDeposit = v.InferOutput<typeof OpenDepositSchema>;

export const DepositParamsSchema = v.object({
  id: CreationIdSchema,
  deposit_id: v.pipe(v.string(), v.maxLength(COMMERCE_ID_MAX_CHARS)),
});

export const CaptureDepositSchema = v.strictObject({
  /** Credits to keep, up to the amount held (default: all); the rest goes back to the user. */
  amount: v.optional(whole(1, PRODUCT_PRICE_MAX)),
  description: v.optional(lineSchema(PRODUCT_NAME_MAX_CHARS)),
});
export type CaptureDeposit = v.InferOutput<typeof CaptureDepositSchema>;

export const DepositViewSchema = v.object({
  deposit_id: v.string(),
  creation_id: v.string(),
  amount: v.number(),
  status: v.picklist(["active", "captured", "released", "expired"]),
  captured: v.nullable(v.number()),
  creator_share: v.nullable(v.number()),
  expires_at: v.string(),
  /** The user's balance after the change (their own answer only). */
  balance: v.optional(v.number()),
});
export type DepositView = v.InferOutput<typeof DepositViewSchema>;
