// The wire protocol of usage metering (seed 002, with seed 003's `remaining`): a creation's
// tiers, its end users' plans, tracking a call, and what the creation's usage looks like.

import * as v from "valibot";
import {
  USAGE_CURSOR_MAX_CHARS,
  USAGE_IDEMPOTENCY_KEY_MAX_CHARS,
  USAGE_RATE_LIMIT_PER_MINUTE_MAX,
  USAGE_TIER_FEATURE_MAX_CHARS,
  USAGE_TIER_FEATURES_MAX,
  USAGE_TIER_LIMIT_MAX,
  USAGE_TIER_NAME_MAX_CHARS,
  USAGE_TIER_PRICE_MAX,
  USAGE_TIERS_MAX,
  USAGE_TOP_USERS_PAGE_DEFAULT,
  USAGE_TOP_USERS_PAGE_MAX,
  USAGE_TRACK_QUANTITY_MAX,
  USAGE_USER_ID_MAX_CHARS,
} from "../limits.ts";
import { CreationIdSchema } from "./creation.ts";
import { lineSchema } from "./text.ts";

const count = (max: number) => v.pipe(v.number(), v.integer(), v.minValue(0), v.maxValue(max));

/** A tier's id, as plans and Stripe metadata name it: lower case, as the seed's "free", "paid". */
export const TierIdSchema = v.pipe(
  v.string(),
  v.regex(/^[a-z0-9][a-z0-9_-]{0,31}$/, "must be 1-32 of a-z, 0-9, _ and -, starting a-z or 0-9"),
);

/** What a creation's end user is called by the creation: printable ASCII, no spaces. */
export const EndUserIdSchema = v.pipe(
  v.string(),
  v.minLength(1, "must not be empty"),
  v.maxLength(USAGE_USER_ID_MAX_CHARS, `must be at most ${USAGE_USER_ID_MAX_CHARS} characters`),
  v.regex(/^[\x21-\x7e]+$/, "must be printable ASCII without spaces"),
);

export const MeterSchema = v.pipe(
  v.string(),
  v.regex(/^[a-z][a-z0-9_]{0,31}$/, "must be 1-32 of a-z, 0-9 and _, starting a-z"),
);
export const DEFAULT_METER = "api_calls";

export const UsageModeSchema = v.picklist(["live", "test"]);
export type UsageMode = v.InferOutput<typeof UsageModeSchema>;

export const TierSchema = v.object({
  id: TierIdSchema,
  name: lineSchema(USAGE_TIER_NAME_MAX_CHARS),
  /** What the tier costs, as the pricing page shows it (seed 002: dollars a month). */
  price: v.pipe(v.number(), v.minValue(0), v.maxValue(USAGE_TIER_PRICE_MAX)),
  /** Calls per UTC calendar month, per meter; null: unlimited. */
  limit: v.nullable(count(USAGE_TIER_LIMIT_MAX)),
  features: v.optional(
    v.pipe(v.array(lineSchema(USAGE_TIER_FEATURE_MAX_CHARS)), v.maxLength(USAGE_TIER_FEATURES_MAX)),
    [],
  ),
  popular: v.optional(v.boolean(), false),
  stripe_price_id: v.optional(
    v.nullable(
      v.pipe(v.string(), v.regex(/^price_[A-Za-z0-9_]{1,200}$/, "must be a Stripe price id")),
    ),
    null,
  ),
  /** Requests a user on this tier may make per minute; null: the deployment's default. */
  rate_limit_per_minute: v.optional(
    v.nullable(
      v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(USAGE_RATE_LIMIT_PER_MINUTE_MAX)),
    ),
    null,
  ),
});
export type Tier = v.InferOutput<typeof TierSchema>;

export const PutTiersSchema = v.object({
  tiers: v.pipe(
    v.array(TierSchema),
    v.minLength(1, "must list at least one tier (the first is the default plan)"),
    v.maxLength(USAGE_TIERS_MAX, `must list at most ${USAGE_TIERS_MAX} tiers`),
    v.check(
      (tiers) => new Set(tiers.map((tier) => tier.id)).size === tiers.length,
      "must not repeat a tier id",
    ),
  ),
});
export type PutTiers = v.InferOutput<typeof PutTiersSchema>;

/** A creation's tiers; `default_plan` is the tier a user without a plan is on (the first). */
export const TierListSchema = v.object({
  tiers: v.array(TierSchema),
  default_plan: TierIdSchema,
  /** True while the creation has not set its own (seed 002's free 5 and paid 500). */
  defaults: v.boolean(),
});
export type TierList = v.InferOutput<typeof TierListSchema>;

/** A plan change; `mode` for the owner and the platform (a key changes its own mode's plans). */
export const PutPlanSchema = v.object({ plan: TierIdSchema, mode: v.optional(UsageModeSchema) });
export type PutPlan = v.InferOutput<typeof PutPlanSchema>;

export const UsageUserParamsSchema = v.object({ id: CreationIdSchema, user_id: EndUserIdSchema });

/** Seed 002's usage object, with seed 003's `remaining`; limit and remaining are null when
 *  the tier is unlimited. Period bounds are UTC dates, the month's first and last day. */
export const UsageSchema = v.object({
  count: v.number(),
  limit: v.nullable(v.number()),
  remaining: v.nullable(v.number()),
  plan: TierIdSchema,
  periodStart: v.string(),
  periodEnd: v.string(),
});
export type Usage = v.InferOutput<typeof UsageSchema>;

export const UsageAnswerSchema = v.object({ success: v.literal(true), usage: UsageSchema });
export type UsageAnswer = v.InferOutput<typeof UsageAnswerSchema>;

export const PlanSetSchema = v.object({
  success: v.literal(true),
  user_id: EndUserIdSchema,
  plan: TierIdSchema,
  usage: UsageSchema,
});
export type PlanSet = Omit<v.InferOutput<typeof PlanSetSchema>, "success">;

export const TrackSchema = v.object({
  /** The end user; with a publishable key and the user's JWT, omit it or name that user. */
  user_id: v.optional(EndUserIdSchema),
  meter: v.optional(MeterSchema, DEFAULT_METER),
  quantity: v.optional(
    v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(USAGE_TRACK_QUANTITY_MAX)),
    1,
  ),
  /** A retry with the same key gets the first answer and counts nothing. */
  idempotency_key: v.optional(
    v.pipe(
      v.string(),
      v.minLength(1),
      v.maxLength(USAGE_IDEMPOTENCY_KEY_MAX_CHARS),
      v.regex(/^[\x21-\x7e]+$/, "must be printable ASCII without spaces"),
    ),
  ),
});
export type Track = v.InferOutput<typeof TrackSchema>;

export const UsagePeriodSchema = v.pipe(
  v.string(),
  v.regex(/^\d{4}-(0[1-9]|1[0-2])$/, "must be a month as YYYY-MM"),
);

export const UsageSummaryQuerySchema = v.object({
  /** The UTC month; the current one when left out. */
  period: v.optional(UsagePeriodSchema),
  /** live or test usage; a key reads its own mode's. Owner and platform read live by default. */
  mode: v.optional(UsageModeSchema),
  meter: v.optional(MeterSchema, DEFAULT_METER),
  limit: v.optional(
    v.pipe(
      v.string(),
      v.regex(/^\d{1,3}$/, "must be a whole number"),
      v.transform(Number),
      v.minValue(1),
      v.maxValue(USAGE_TOP_USERS_PAGE_MAX),
    ),
    String(USAGE_TOP_USERS_PAGE_DEFAULT),
  ),
  /** From the previous page's next_cursor. */
  cursor: v.optional(v.pipe(v.string(), v.maxLength(USAGE_CURSOR_MAX_CHARS))),
});
export type UsageSummaryQuery = v.InferOutput<typeof UsageSummaryQuerySchema>;

/** The summary's query as the router parsed it: what the actor checks again. */
export const UsageSummaryRequestSchema = v.object({
  ...UsageSummaryQuerySchema.entries,
  limit: v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(USAGE_TOP_USERS_PAGE_MAX)),
});

export const UsageUserQuerySchema = v.object({
  meter: v.optional(MeterSchema, DEFAULT_METER),
  mode: v.optional(UsageModeSchema),
});
export type UsageUserQuery = v.InferInput<typeof UsageUserQuerySchema>;

const TierCountSchema = v.object({ plan: TierIdSchema, count: v.number() });

/** A creation's usage in one month: every day of the month (zeros too), per tier, and its top
 *  users, most calls first, paged. */
export const UsageSummarySchema = v.object({
  creation_id: CreationIdSchema,
  mode: UsageModeSchema,
  meter: MeterSchema,
  period: UsagePeriodSchema,
  periodStart: v.string(),
  periodEnd: v.string(),
  total: v.number(),
  unique_users: v.number(),
  by_day: v.array(
    v.object({ day: v.string(), count: v.number(), tiers: v.array(TierCountSchema) }),
  ),
  /** Calls made on each plan, and the users whose latest call this month was on it. */
  by_tier: v.array(
    v.object({ plan: TierIdSchema, name: v.string(), count: v.number(), users: v.number() }),
  ),
  tiers: v.array(TierSchema),
  top_users: v.array(v.object({ user_id: EndUserIdSchema, plan: TierIdSchema, count: v.number() })),
  next_cursor: v.nullable(v.string()),
});
export type UsageSummary = v.InferOutput<typeof UsageSummarySchema>;
