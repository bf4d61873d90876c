// Usage metering (seed 002, with seed 003's keys): a creation's tiers, its end users' plans,
// tracking a metered call and reading usage. The creation's actor checks the credential, the
// per-minute rate limit and the tier limit and counts, in the one call it was getting anyway.

import type { TrackOutcome } from "../../actors/creation/metering/meter.ts";
import { actorByName } from "../../actors/refusal.ts";
import { ApiError } from "../../shared/errors.ts";
import { USAGE_RATE_WINDOW_SECONDS } from "../../shared/limits.ts";
import type { PublishableKeyInfo } from "../../shared/schemas/api-key.ts";
import { CreationParamsSchema } from "../../shared/schemas/creation.ts";
import type { Principal } from "../../shared/schemas/principal.ts";
import {
  PlanSetSchema,
  PutPlanSchema,
  PutTiersSchema,
  TierListSchema,
  TrackSchema,
  UsageAnswerSchema,
  UsageSummaryQuerySchema,
  UsageSummarySchema,
  UsageUserParamsSchema,
  UsageUserQuerySchema,
} from "../../shared/schemas/usage.ts";
import type { AppContext } from "../context.ts";
import { reply } from "../idempotency.ts";
import { type RateWindow, rateLimitExceeded, setRateLimitHeaders } from "../rate-limit-headers.ts";
import { defineRoute } from "../route.ts";

const tag = "usage";
const creation = (env: Env, id: string) => actorByName(env.CREATION, id);

/** The seed's words for a spent tier, which its clients show. */
export const TIER_LIMIT_MESSAGE = "Please upgrade to unlock more requests";

/** The caller as the creation's actor judges it: with the publishable key a page sent. */
function meterAccess(principal: Principal, publishable: PublishableKeyInfo | null) {
  return {
    caller: principal,
    publishable: publishable && { key_id: publishable.key_id, mode: publishable.mode },
  };
}

function rateWindow(rate: Extract<TrackOutcome, { rate: unknown }>["rate"]): RateWindow {
  return {
    policy: "user",
    limit: rate.limit,
    windowSeconds: USAGE_RATE_WINDOW_SECONDS,
    remaining: rate.remaining,
    resetSeconds: rate.reset_seconds,
  };
}

function trackAnswer(c: AppContext, outcome: TrackOutcome): Response {
  if (outcome.outcome === "rate_limited") throw rateLimitExceeded(c, rateWindow(outcome.rate));
  setRateLimitHeaders(c, rateWindow(outcome.rate));
  if (outcome.outcome === "tier_limit") {
    const { usage } = outcome;
    throw new ApiError(
      "TIER_LIMIT_REACHED",
      `The ${usage.plan} tier allows ${usage.limit} a month; this user has made ${usage.count} (calls, or units of the meter).`,
      {
        error: "Tier limit reached",
        usageCount: usage.count,
        limit: usage.limit,
        message: TIER_LIMIT_MESSAGE,
        usage,
      },
    );
  }
  return reply(c, { body: { success: true, usage: outcome.usage }, replayed: outcome.replayed });
}

const endUserNote =
  "A page may call it with its publishable key (X-Publishable-Key) and the signed-in end user's JWT: then only for that user.";

export const usageRoutes = [
  defineRoute(
    {
      method: "put",
      path: "/v1/creations/:id/tiers",
      operationId: "putTiers",
      summary: "Set the creation's tiers: monthly call limits, prices, features",
      description:
        "The first tier is the plan of a user who has none. A limit of null is unlimited; rate_limit_per_minute overrides the deployment's per-user limit. Plans naming a removed tier fall back to the first.",
      tag,
      auth: ["user", "service", "creation"],
      creationParam: "id",
      credentialCheck: "actor",
      scope: "plans:write",
      params: CreationParamsSchema,
      body: PutTiersSchema,
      responses: { 200: { description: "The tiers", schema: TierListSchema } },
    },
    async (c, { principal, params, body }) =>
      c.json(await creation(c.env, params.id).putTiers(principal, body)),
  ),
  defineRoute(
    {
      method: "get",
      path: "/v1/creations/:id/tiers",
      operationId: "listTiers",
      summary: "The creation's tiers, for its servers or a pricing page (publishable key)",
      description:
        "Until the creation sets its own: seed 002's free (5 calls a month) and paid (500).",
      tag,
      auth: "optional",
      publishableKey: "optional",
      creationParam: "id",
      scope: "usage:read",
      params: CreationParamsSchema,
      responses: { 200: { description: "The tiers", schema: TierListSchema } },
    },
    async (c, { principal, publishable, params }) => {
      if (!principal && !publishable) {
        throw new ApiError(
          "UNAUTHENTICATED",
          "Send the creation's publishable key (X-Publishable-Key) or a credential.",
        );
      }
      return c.json(await creation(c.env, params.id).listTiers(publishable ? null : principal));
    },
  ),
  defineRoute(
    {
      method: "put",
      path: "/v1/creations/:id/users/:user_id/plan",
      operationId: "setUserPlan",
      summary: "Put an end user on a tier: this month's count stays, the new limit applies",
      tag,
      auth: ["user", "service", "creation"],
      creationParam: "id",
      credentialCheck: "actor",
      scope: "plans:write",
      params: UsageUserParamsSchema,
      body: PutPlanSchema,
      responses: {
        200: { description: "The plan and the user's usage", schema: PlanSetSchema },
        404: { description: "PLAN_NOT_FOUND: no tier has that id" },
      },
    },
    async (c, { principal, params, body }) => {
      const set = await creation(c.env, params.id).setUserPlan(principal, params.user_id, body);
      return c.json({ success: true, ...set });
    },
  ),
  defineRoute(
    {
      method: "post",
      path: "/v1/creations/:id/usage/track",
      operationId: "trackUsage",
      summary: "Count one metered call of an end user, within their tier and rate limit",
      description: `Seed 002's answer with seed 003's remaining. Over the tier's monthly limit: 403 TIER_LIMIT_REACHED with the seed's error, usageCount, limit and message, counting nothing. Over the per-minute limit: 429 RATE_LIMIT_EXCEEDED with Retry-After. Every answer carries RateLimit-Policy, RateLimit and x-ratelimit-* headers. A test key counts test usage, a live key live usage. ${endUserNote}`,
      tag,
      auth: ["creation", "service", "user"],
      publishableKey: "optional",
      creationParam: "id",
      credentialCheck: "actor",
      scope: "usage:track",
      params: CreationParamsSchema,
      body: TrackSchema,
      responses: {
        200: { description: "Counted", schema: UsageAnswerSchema },
        403: { description: "TIER_LIMIT_REACHED" },
        429: { description: "RATE_LIMIT_EXCEEDED" },
      },
    },
    async (c, { principal, publishable, params, body }) => {
      const access = meterAccess(principal, publishable);
      return trackAnswer(c, await creation(c.env, params.id).trackUsage(access, body));
    },
  ),
  defineRoute(
    {
      method: "get",
      path: "/v1/creations/:id/usage/:user_id",
      operationId: "getUserUsage",
      summary: "An end user's usage this month, counting nothing",
      description: endUserNote,
      tag,
      auth: ["creation", "service", "user"],
      publishableKey: "optional",
      creationParam: "id",
      credentialCheck: "actor",
      scope: "usage:read",
      params: UsageUserParamsSchema,
      query: UsageUserQuerySchema,
      responses: { 200: { description: "The usage", schema: UsageAnswerSchema } },
    },
    async (c, { principal, publishable, params, query }) => {
      const access = meterAccess(principal, publishable);
      const usage = await creation(c.env, params.id).userUsage(access, params.user_id, query);
      return c.json({ success: true, usage });
    },
  ),
  defineRoute(
    {
      method: "get",
      path: "/v1/creations/:id/usage",
      operationId: "getUsageSummary",
      summary: "The creation's usage in a month: per day, per tier, top users (paged)",
      tag,
      auth: ["creation", "service", "user"],
      creationParam: "id",
      credentialCheck: "actor",
      scope: "usage:read",
      params: CreationParamsSchema,
      query: UsageSummaryQuerySchema,
      responses: { 200: { description: "The month", schema: UsageSummarySchema } },
    },
    async (c, { principal, params, query }) =>
      c.json(await creation(c.env, params.id).usageSummary(principal, query)),
  ),
];
