// Buying a creation's products and using what was bought (seed 000): purchase, the user's
// entitlements, checks, access tokens and their verification, consumables, cancelling a
// subscription. The buyer's wallet holds entitlements; the creation learns only what a token
// or a receipt tells it.

import { actorByName } from "../../actors/refusal.ts";
import { userAccount } from "../../actors/wallet/account.ts";
import { invalidField } from "../../shared/errors.ts";
import {
  AccessTokenAnswerSchema,
  ConsumeParamsSchema,
  EntitlementCheckSchema,
  EntitlementPageQuerySchema,
  EntitlementPageSchema,
  EntitlementParamsSchema,
  EntitlementQuerySchema,
  EntitlementSchema,
  EntitlementVerifiedSchema,
  PurchasedSchema,
  PurchaseSchema,
  TokenInBodySchema,
  TokenInQuerySchema,
} from "../../shared/schemas/commerce.ts";
import type { Principal } from "../../shared/schemas/principal.ts";
import { consumeWithToken, verifyEntitlementToken } from "../auth/entitlement-token.ts";
import type { AppContext } from "../context.ts";
import { idempotencyKey, reply } from "../idempotency.ts";
import { defineRoute } from "../route.ts";

const tag = "commerce";

const VERIFY_EXEMPTION =
  "It checks a credential first (an encrypted token); creation Workers on Cloudflare all reach it from one address";

/** The token a verify call sends, in the query or the body. */
function requireToken(token: string | undefined, where: "query" | "body"): string {
  if (!token) throw invalidField(where, "token", "send the access token as token or access_token");
  return token;
}

/** The caller's own wallet: its name and stub. */
function mine(c: AppContext, principal: Pick<Principal, "id">) {
  const name = userAccount(principal.id);
  return { name, wallet: actorByName(c.env.WALLET, name) };
}

export const entitlementRoutes = [
  defineRoute(
    {
      method: "post",
      path: "/v1/me/entitlements/purchase",
      operationId: "purchaseProduct",
      summary: "Buy a creation's product: debit, entitlement, receipt and access token, once",
      description:
        "Once per client_operation_id: a retry gets the first answer (Idempotent-Replayed: true), also a refusal. 402 INSUFFICIENT_CREDITS with balance, required, shortfall; 409 ALREADY_PURCHASED for a one-time product owned (or a running subscription); 403 PAYMENTS_NOT_ENABLED; 404 PRODUCT_NOT_FOUND. The creator's share reaches the creation's wallet through the outbox, exactly once.",
      tag,
      auth: ["user"],
      body: PurchaseSchema,
      responses: {
        201: { description: "Bought", schema: PurchasedSchema },
        402: { description: "INSUFFICIENT_CREDITS" },
        409: { description: "ALREADY_PURCHASED" },
      },
    },
    async (c, { principal, body }) => {
      const { name, wallet } = mine(c, principal);
      return reply(c, await wallet.purchase(name, principal, body), 201);
    },
  ),
  defineRoute(
    {
      method: "get",
      path: "/v1/me/entitlements",
      operationId: "listMyEntitlements",
      summary: "The caller's entitlements, newest first (scope_id: one creation's)",
      tag,
      auth: ["user"],
      query: EntitlementPageQuerySchema,
      responses: { 200: { description: "One page", schema: EntitlementPageSchema } },
    },
    async (c, { principal, query }) => {
      const { name, wallet } = mine(c, principal);
      return c.json(await wallet.listEntitlements(name, principal, query));
    },
  ),
  defineRoute(
    {
      method: "get",
      path: "/v1/me/entitlements/check",
      operationId: "checkMyEntitlement",
      summary: "Whether the caller has a creation's sku now (seed 000's checkEntitlement)",
      tag,
      auth: ["user"],
      query: EntitlementQuerySchema,
      responses: { 200: { description: "The check", schema: EntitlementCheckSchema } },
    },
    async (c, { principal, query }) => {
      const { name, wallet } = mine(c, principal);
      return c.json(await wallet.checkEntitlement(name, principal, query));
    },
  ),
  defineRoute(
    {
      method: "get",
      path: "/v1/me/entitlements/access-token",
      operationId: "refreshEntitlementToken",
      summary: "A fresh access token (30 minutes) for an entitlement the caller may use now",
      tag,
      auth: ["user"],
      mintsCredentials: true,
      query: EntitlementQuerySchema,
      responses: {
        200: { description: "The token", schema: AccessTokenAnswerSchema },
        404: { description: "ENTITLEMENT_NOT_FOUND" },
        409: { description: "ENTITLEMENT_NOT_ACTIVE or ENTITLEMENT_EXHAUSTED" },
      },
    },
    async (c, { principal, query }) => {
      const { name, wallet } = mine(c, principal);
      return c.json(await wallet.entitlementAccessToken(name, principal, query));
    },
  ),
  defineRoute(
    {
      method: "post",
      path: "/v1/me/entitlements/:entitlement_id/cancel",
      operationId: "cancelMySubscription",
      summary: "Stop a subscription renewing: it stays active to the end of the period paid",
      tag,
      auth: ["user"],
      params: EntitlementParamsSchema,
      responses: { 200: { description: "The entitlement", schema: EntitlementSchema } },
    },
    async (c, { principal, params }) => {
      const { name, wallet } = mine(c, principal);
      return c.json(await wallet.cancelEntitlement(name, principal, params.entitlement_id));
    },
  ),
  defineRoute(
    {
      method: "post",
      path: "/v1/me/entitlements/use",
      operationId: "useMyEntitlement",
      summary: "Use one use of the caller's consumable (seed 000's consume(), from the page)",
      description:
        "Atomic, like the creation's consume; 409 ENTITLEMENT_EXHAUSTED when none are left. An Idempotency-Key makes a retry use nothing more.",
      tag,
      auth: ["user"],
      body: EntitlementQuerySchema,
      responses: {
        200: { description: "The entitlement after the use", schema: EntitlementSchema },
        409: { description: "ENTITLEMENT_EXHAUSTED" },
      },
    },
    async (c, { principal, body }) => {
      const { name, wallet } = mine(c, principal);
      return c.json(
        await wallet.useEntitlement(name, principal, body, idempotencyKey(c, undefined)),
      );
    },
  ),
  defineRoute(
    {
      method: "post",
      path: "/v1/me/entitlements/consume/:token",
      operationId: "consumeEntitlement",
      summary: "Use one use of a consumable, with the buyer's access token in the path",
      description:
        "Called by the creation (its rct_ token or a secret key) with the access token its user passed it. Atomic: of 50 concurrent calls on 5 uses, exactly 5 succeed; the rest are 409 ENTITLEMENT_EXHAUSTED. An Idempotency-Key makes a retry use nothing more.",
      tag,
      auth: ["creation"],
      scope: "entitlements:consume",
      params: ConsumeParamsSchema,
      responses: {
        200: { description: "Used one", schema: EntitlementVerifiedSchema },
        409: { description: "ENTITLEMENT_EXHAUSTED" },
      },
    },
    async (c, { principal, params }) =>
      c.json(await consumeWithToken(c.env, principal, params.token, idempotencyKey(c, undefined))),
  ),
  defineRoute(
    {
      method: "get",
      path: "/v1/entitlements/verify",
      operationId: "verifyEntitlementToken",
      summary: "What an entitlement's access token grants now, never who holds it (public)",
      tag,
      auth: "public",
      edgeLimitExempt: VERIFY_EXEMPTION,
      query: TokenInQuerySchema,
      responses: { 200: { description: "valid, or why not", schema: EntitlementVerifiedSchema } },
    },
    async (c, { query }) =>
      c.json(await verifyEntitlementToken(c.env, requireToken(query.token, "query"))),
  ),
  defineRoute(
    {
      method: "post",
      path: "/v1/entitlements/verify",
      operationId: "verifyEntitlementTokenPost",
      summary: "The same, with { access_token } in the body",
      tag,
      auth: "public",
      edgeLimitExempt: VERIFY_EXEMPTION,
      body: TokenInBodySchema,
      responses: { 200: { description: "valid, or why not", schema: EntitlementVerifiedSchema } },
    },
    async (c, { body }) =>
      c.json(
        await verifyEntitlementToken(c.env, requireToken(body.access_token ?? body.token, "body")),
      ),
  ),
];
