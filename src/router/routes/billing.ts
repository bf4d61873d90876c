// Seed 001's AI-time billing API with its exact paths and shapes, for the platform's backend.

import { userAccount } from "../../actors/wallet/account.ts";
import { billingPackages } from "../../shared/config.ts";
import { asApiError } from "../../shared/errors.ts";
import {
  BalanceResponseSchema,
  BillingUserParamsSchema,
  CheckSufficientSchema,
  ConsumeResponseSchema,
  ConsumeSchema,
  SufficientCheckResponseSchema,
} from "../../shared/schemas/billing.ts";
import type { Principal } from "../../shared/schemas/principal.ts";
import type { AppContext } from "../context.ts";
import { reply } from "../idempotency.ts";
import { defineRoute } from "../route.ts";

const tag = "billing (seed 001)";
const wallet = (env: Env, userId: string) => env.WALLET.getByName(userAccount(userId));
const auth = ["service"] as const;
const PURCHASE_URL = "/purchase";

/** Seed 001's 402: a plain body some CDNs strip, so `error` alone must be enough. */
async function insufficientAiTime(
  c: AppContext,
  userId: string,
  principal: Principal,
  required: number,
) {
  const { balance } = await wallet(c.env, userId).billingBalance(userAccount(userId), principal);
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
    async (c, { principal, body }) => {
      const [{ balance }, estimate] = await Promise.all([
        wallet(c.env, body.userId).billingBalance(userAccount(body.userId), principal),
        c.env.ESTIMATOR.getByName(body.operationType).estimate(body.projectSize, body.isUpdate),
      ]);
      const sufficient = estimate ? balance.total >= estimate.estimatedSeconds : balance.total > 0;
      if (sufficient) return c.json({ sufficient, estimate, balance });
      const minutes = estimate?.estimatedMinutes ?? 1;
      const packages = billingPackages(c.env);
      const suggested = packages.find((item) => item.minutes >= minutes) ?? packages.at(-1);
      return c.json({
        sufficient,
        estimate,
        balance,
        recommendation: {
          suggestedPackage: suggested?.name ?? "",
          costToComplete: minutes,
          purchaseUrl: PURCHASE_URL,
        },
      });
    },
  ),
  defineRoute(
    {
      method: "post",
      path: "/v1/billing/consume",
      operationId: "billingConsume",
      summary: "Record seconds of AI time used: debits the user and teaches the estimates",
      description: "Idempotent on reference_id. 402 is seed 001's insufficient_ai_time body.",
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
            body.reference_id,
          ),
        );
      } catch (error) {
        if (asApiError(error)?.code !== "INSUFFICIENT_CREDITS") throw error;
        return insufficientAiTime(c, body.userId, principal, body.seconds);
      }
    },
  ),
];
