import * as v from "valibot";
import { ACCESS_TOKEN_PREFIX } from "../access-tokens.ts";
import { ACCESS_TOKEN_MAX_LENGTH, ACCESS_TOKEN_TTL_SECONDS } from "../limits.ts";
import { CreationIdSchema } from "./creation.ts";
import { AmountSchema, FutureTimeSchema, SpendSchema } from "./wallet.ts";

export const BudgetPeriodSchema = v.picklist(["day", "month", "total"]);

export const CreateBudgetSchema = v.strictObject({
  creation_id: CreationIdSchema,
  /** Most the creation may spend from the user's wallet per period. */
  limit: AmountSchema,
  /** "day" and "month" roll over at 00:00 UTC; "total" never does. */
  period: BudgetPeriodSchema,
  expires_at: v.optional(FutureTimeSchema),
});

export const AuthorizationSchema = v.object({
  id: v.string(),
  type: v.literal("budget"),
  creation_id: v.string(),
  limit: v.number(),
  period: BudgetPeriodSchema,
  status: v.picklist(["active", "revoked", "expired"]),
  /** Spent on the user's behalf in the current period, net of refunds. */
  spent: v.number(),
  remaining: v.number(),
  /** When the period rolls over; null for "total". */
  period_resets_at: v.nullable(v.string()),
  expires_at: v.nullable(v.string()),
  revoked_at: v.nullable(v.string()),
  created_at: v.string(),
});

export const AuthorizationParamsSchema = v.object({
  authorization_id: v.pipe(
    v.string(),
    v.regex(/^auth_[A-Za-z0-9-]+$/, "must be an authorization id"),
  ),
});

export const CreateAccessTokenSchema = v.strictObject({ creation_id: CreationIdSchema });

export const AccessTokenSchema = v.object({
  access_token: v.string(),
  creation_id: v.string(),
  expires_at: v.string(),
  expires_in: v.literal(ACCESS_TOKEN_TTL_SECONDS),
});

/** `POST /v1/me/credits/spend`: a user's own spend, or a creation's for a user. */
export const MeSpendSchema = v.strictObject({
  ...SpendSchema.entries,
  /** A creation spending for a user: the user's `rat_` token for that creation. */
  on_behalf_of_access_token: v.optional(
    v.pipe(
      v.string(),
      v.startsWith(ACCESS_TOKEN_PREFIX, "must be a rat_ access token"),
      v.maxLength(ACCESS_TOKEN_MAX_LENGTH, `must be at most ${ACCESS_TOKEN_MAX_LENGTH} characters`),
    ),
  ),
});

export type AccessToken = v.InferOutput<typeof AccessTokenSchema>;
export type CreateBudget = v.InferOutput<typeof CreateBudgetSchema>;
export type Authorization = v.InferOutput<typeof AuthorizationSchema>;
export type BudgetPeriod = v.InferOutput<typeof BudgetPeriodSchema>;
