// Seed 001's AI-time billing surface, field for field (camelCase, as that document has it).

import * as v from "valibot";
import { UserIdSchema } from "../ids.ts";
import { BILLING_CONSUME_MAX_SECONDS } from "../limits.ts";
import { IdempotencyKeySchema } from "./wallet.ts";

export const OperationTypeSchema = v.picklist(["main_build", "metadata_generation", "update"]);
export const ProjectSizeSchema = v.picklist(["small", "medium", "large"]);

export const BillingUserParamsSchema = v.object({ userId: UserIdSchema });

export const CheckSufficientSchema = v.object({
  userId: UserIdSchema,
  operationType: OperationTypeSchema,
  projectSize: v.optional(ProjectSizeSchema),
  isUpdate: v.optional(v.boolean()),
});

export const ConsumeSchema = v.object({
  userId: UserIdSchema,
  operationType: OperationTypeSchema,
  seconds: v.pipe(
    v.number(),
    v.integer("must be whole seconds"),
    v.minValue(1, "must be at least 1"),
    v.maxValue(BILLING_CONSUME_MAX_SECONDS, `must be at most ${BILLING_CONSUME_MAX_SECONDS}`),
  ),
  projectSize: v.optional(ProjectSizeSchema),
  isUpdate: v.optional(v.boolean()),
  reference_id: IdempotencyKeySchema,
});

export const BillingBucketsSchema = v.object({
  welcomeBonus: v.number(),
  dailyGift: v.number(),
  paid: v.number(),
  total: v.number(),
});

export const BalanceResponseSchema = v.object({
  balance: BillingBucketsSchema,
  usage: v.object({ todayUsed: v.number(), lifetimeUsed: v.number() }),
  dailyResetAt: v.string(),
});

export const EstimateSchema = v.object({
  estimatedSeconds: v.number(),
  estimatedMinutes: v.number(),
  confidence: v.picklist(["high", "medium", "low"]),
  basedOnSamples: v.number(),
});

export const SufficientCheckResponseSchema = v.object({
  sufficient: v.boolean(),
  estimate: v.nullable(EstimateSchema),
  balance: BillingBucketsSchema,
  recommendation: v.optional(
    v.object({ suggestedPackage: v.string(), costToComplete: v.number(), purchaseUrl: v.string() }),
  ),
});

export const ConsumeResponseSchema = v.object({
  success: v.literal(true),
  consumed: v.number(),
  transactionId: v.string(),
  ...BalanceResponseSchema.entries,
});

export type OperationType = v.InferOutput<typeof OperationTypeSchema>;
export type ProjectSize = v.InferOutput<typeof ProjectSizeSchema>;
export type Consume = v.InferOutput<typeof ConsumeSchema>;
export type BalanceResponse = v.InferOutput<typeof BalanceResponseSchema>;
export type Estimate = v.InferOutput<typeof EstimateSchema>;
export type CheckSufficient = v.InferOutput<typeof CheckSufficientSchema>;
export type SufficientCheckResponse = v.InferOutput<typeof SufficientCheckResponseSchema>;
export type ConsumeResponse = v.InferOutput<typeof ConsumeResponseSchema>;
