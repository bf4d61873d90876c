// The platform refunds a purchase (seed 000): the buyer gets the price back, the entitlement
// ends and the creation's wallet gives its share back, once. A purchase's id names its buyer's
// wallet (wallet/purchase-ids.ts), so the id is all the platform needs to send.

import * as v from "valibot";
import { actorByName } from "../../actors/refusal.ts";
import { userAccount } from "../../actors/wallet/account.ts";
import { buyerOfPurchase } from "../../actors/wallet/purchase-ids.ts";
import { ApiError } from "../../shared/errors.ts";
import { EntitlementSchema, PaidSchema, PaymentSchema } from "../../shared/schemas/commerce.ts";
import { TransactionSchema } from "../../shared/schemas/wallet.ts";
import { reply } from "../idempotency.ts";
import { defineRoute } from "../route.ts";

const PurchaseParamsSchema = v.object({
  transaction_id: v.pipe(v.string(), v.maxLength(300)),
});

const RefundedSchema = v.object({
  transaction: TransactionSchema,
  balance: v.number(),
  entitlement: EntitlementSchema,
  creator_share_returned: v.number(),
});

export const purchaseRoutes = [
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
