// Money to creations besides products (seed 000): freeform payments, deposits the creation
// captures or releases, and the platform's refund of a purchase (the buyer gets the price back,
// the entitlement ends and the creation's wallet gives its share back, once). Purchase and
// deposit ids name the buyer's wallet, so the id is all a caller needs to send.

import * as v from "valibot";
import { actorByName } from "../../actors/refusal.ts";
import { userAccount } from "../../actors/wallet/account.ts";
import { buyerOfPurchase, readDepositId } from "../../actors/wallet/routed-ids.ts";
import { ApiError } from "../../shared/errors.ts";
import { COMMERCE_ID_MAX_CHARS } from "../../shared/limits.ts";
import {
  CaptureDepositSchema,
  DepositParamsSchema,
  DepositViewSchema,
  EntitlementSchema,
  OpenDepositSchema,
  PaidSchema,
  PaymentSchema,
} from "../../shared/schemas/commerce.ts";
import { TransactionSchema } from "../../shared/schemas/wallet.ts";
import { reply } from "../idempotency.ts";
import { defineRoute } from "../route.ts";

const PurchaseParamsSchema = v.object({
  transaction_id: v.pipe(v.string(), v.maxLength(COMMERCE_ID_MAX_CHARS)),
});

const RefundedSchema = v.object({
  transaction: TransactionSchema,
  balance: v.number(),
  entitlement: EntitlementSchema,
  creator_share_returned: v.number(),
});

/** The user's wallet a deposit id names, and the hold in it. */
function depositOf(id: string) {
  const deposit = readDepositId(id);
  if (!deposit) throw new ApiError("DEPOSIT_NOT_FOUND", "That is not the id of a deposit.");
  const name = userAccount(deposit.userId);
  return { name, holdId: deposit.holdId };
}

export const purchaseRoutes = [
  defineRoute(
    {
      method: "post",
      path: "/v1/me/deposits",
      operationId: "openDeposit",
      summary:
        "Hold credits for a creation, which captures up to them or releases them (holdDeposit)",
      description:
        "Released by itself after ttl_seconds when the creation settles nothing. Once per client_operation_id. 402 INSUFFICIENT_CREDITS; 403 PAYMENTS_NOT_ENABLED.",
      tag: "commerce",
      auth: ["user"],
      body: OpenDepositSchema,
      responses: { 201: { description: "Held", schema: DepositViewSchema } },
    },
    async (c, { principal, body }) => {
      const name = userAccount(principal.id);
      const wallet = actorByName(c.env.WALLET, name);
      return reply(c, await wallet.openDeposit(name, principal, body), 201);
    },
  ),
  defineRoute(
    {
      method: "post",
      path: "/v1/creations/:id/deposits/:deposit_id/capture",
      operationId: "captureDeposit",
      summary: "Keep up to what a user's deposit holds; the rest returns to the user",
      description:
        "The creation's share (entitlement_creator_share_pct) reaches its wallet as for a payment. A retry with the same amount gets the first answer. 409 HOLD_NOT_ACTIVE once settled or expired; 422 CAPTURE_EXCEEDS_HOLD.",
      tag: "commerce",
      auth: ["creation", "service"],
      creationParam: "id",
      scope: "deposits:settle",
      liveKeysOnly: true,
      params: DepositParamsSchema,
      body: v.optional(CaptureDepositSchema, {}),
      responses: { 200: { description: "Captured", schema: DepositViewSchema } },
    },
    async (c, { params, body }) => {
      const { name, holdId } = depositOf(params.deposit_id);
      const wallet = actorByName(c.env.WALLET, name);
      return reply(c, await wallet.captureDeposit(name, holdId, params.id, body));
    },
  ),
  defineRoute(
    {
      method: "post",
      path: "/v1/creations/:id/deposits/:deposit_id/release",
      operationId: "releaseDeposit",
      summary: "Give a user's whole deposit back",
      tag: "commerce",
      auth: ["creation", "service"],
      creationParam: "id",
      scope: "deposits:settle",
      params: DepositParamsSchema,
      responses: { 200: { description: "Released", schema: DepositViewSchema } },
    },
    async (c, { params }) => {
      const { name, holdId } = depositOf(params.deposit_id);
      return c.json(await actorByName(c.env.WALLET, name).releaseDeposit(name, holdId, params.id));
    },
  ),
  defineRoute(
    {
      method: "post",
      path: "/v1/me/payments",
      operationId: "payCreation",
      summary: "Pay a creation credits: a tip or one-off charge, no entitlement (seed 000's pay())",
      description:
        "Once per client_operation_id: a retry gets the first answer. The creator's share (entitlement_creator_share_pct) reaches the creation's wallet through the outbox; the receipt is a signed JWS like a purchase's, with \"sku\": null. 402 INSUFFICIENT_CREDITS; 403 PAYMENTS_NOT_ENABLED.",
      tag: "commerce",
      auth: ["user"],
      body: PaymentSchema,
      responses: { 201: { description: "Paid", schema: PaidSchema } },
    },
    async (c, { principal, body }) => {
      const name = userAccount(principal.id);
      return reply(c, await actorByName(c.env.WALLET, name).pay(name, principal, body), 201);
    },
  ),
  defineRoute(
    {
      method: "post",
      path: "/v1/purchases/:transaction_id/refund",
      operationId: "refundPurchase",
      summary: "Refund a purchase: the price back to the buyer, the entitlement ended, once",
      description:
        "The creation's wallet gives its share back first; when it cannot, 409 CREATION_FUNDS_SHORT_FOR_REFUND and nothing moves. A retry gets the first answer (Idempotent-Replayed: true).",
      tag: "commerce",
      auth: ["service"],
      params: PurchaseParamsSchema,
      responses: {
        200: { description: "Refunded", schema: RefundedSchema },
        404: { description: "TRANSACTION_NOT_FOUND" },
        409: { description: "CREATION_FUNDS_SHORT_FOR_REFUND or ALREADY_REFUNDED" },
      },
    },
    async (c, { principal, params }) => {
      const buyer = buyerOfPurchase(params.transaction_id);
      if (!buyer) {
        throw new ApiError("TRANSACTION_NOT_FOUND", "That is not the id of a purchase.");
      }
      const name = userAccount(buyer);
      const wallet = actorByName(c.env.WALLET, name);
      return reply(c, await wallet.refundPurchase(name, principal, params.transaction_id));
    },
  ),
];
