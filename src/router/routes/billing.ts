// Seed 001's AI-time billing API with its exact paths and shapes, for the platform's backend.

import { actorByName } from "../../actors/refusal.ts";
import { userAccount } from "../../actors/wallet/account.ts";
import { type ApiError, asApiError } from "../../shared/errors.ts";
import {
  BalanceResponseSchema,
  BillingUserParamsSchema,
  CheckSufficientSchema,
  ConsumeResponseSchema,
  ConsumeSchema,
  SufficientCheckResponseSchema,
} from "../../shared/schemas/billing.ts";
import type { AppContext } from "../context.ts";
import { IDEMPOTENT_DESCRIPTION, idempotencyKey, reply } from "../idempotency.ts";
import { defineRoute } from "../route.ts";

const tag = "billing (seed 001)";
const wallet = (env: Env, userId: string) => actorByName(env.WALLET, userAccount(userId));
const auth = ["service"] as const;

/** Seed 001's 402 body: plain JSON, since some CDNs strip 402 bodies and clients then fall
 * back to `error` alone. The wallet's problem carries the bucket view as `ai_time`. */
function insufficientAiTime(c: AppContext, problem: ApiError) {
  const { ai_time: balance, required } = problem.extensions;
  return c.json(
    {
      error: "insufficient_ai_time",
      message: "Insufficient AI time balance to start build",
      balance,
      estimate: { estimatedSeconds: required },
      required,
    },
    402,
  );
}

export const billingRoutes = [
  defineRoute(
    {
      method: "get",
      path: "/v1/billing/balance/:userId",
      operationId: "billingBalance",
      summary: "A user's AI time: welcome bonus, today's gift, paid seconds, and usage",
      tag,
      auth,
      params: BillingUserParamsSchema,
      responses: { 200: { description: "Seconds by bucket", schema: BalanceResponseSchema } },
    },
    async (c, { principal, params }) =>
      c.json(
        await wallet(c.env, params.userId).billingBalance(userAccount(params.userId), principal),
      ),
  ),
  defineRoute(
    {
      method: "post",
      path: "/v1/billing/check-sufficient",
      operationId: "billingCheckSufficient",
      summary:
        "Whether the user can afford an operation, estimated from past ones of its type and size",
      tag,
      auth,
      body: CheckSufficientSchema,
      responses: { 200: { description: "The check", schema: SufficientCheckResponseSchema } },
    },
    async (c, { principal, body }) =>
      c.json(
        await wallet(c.env, body.userId).checkSufficient(userAccount(body.userId), principal, body),
      ),
  ),
  defineRoute(
    {
      method: "post",
      path: "/v1/billing/consume",
      operationId: "billingConsume",
      summary: "Record seconds of AI time used: debits the user and teaches the estimates",
      description: `402 is seed 001's insufficient_ai_time body. ${IDEMPOTENT_DESCRIPTION}`,
      idempotent: true,
      tag,
      auth,
      body: ConsumeSchema,
      responses: {
        200: { description: "Consumed", schema: ConsumeResponseSchema },
        402: {
          description: "{ error: insufficient_ai_time, message, balance, estimate, required }",
        },
      },
    },
    async (c, { principal, body }) => {
      try {
        return reply(
          c,
          await wallet(c.env, body.userId).consume(
            userAccount(body.userId),
            principal,
            body,
            idempotencyKey(c, body) ?? body.reference_id,
          ),
        );
      } catch (error) {
        const problem = asApiError(error);
        if (problem?.code !== "INSUFFICIENT_CREDITS") throw error;
        return insufficientAiTime(c, problem);
      }
    },
  ),
];
