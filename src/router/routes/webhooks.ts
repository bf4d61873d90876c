import { ApiError, asApiError } from "../../shared/errors.ts";
import { ownValue } from "../../shared/object-keys.ts";
import { StripeAckSchema } from "../../shared/schemas/stripe.ts";
import { verifyStripeSignature } from "../../shared/stripe-signature.ts";
import { STRIPE_HANDLERS, StripeEventSchema } from "../../webhooks/stripe.ts";
import { parseInput, readJsonBody } from "../input.ts";
import { defineRoute } from "../route.ts";

export const stripeWebhook = defineRoute(
  {
    method: "post",
    path: "/v1/webhooks/stripe",
    operationId: "stripeWebhook",
    summary: "Stripe events, verified by Stripe-Signature and applied once per event id",
    description:
      "A bad or stale signature is 400 and changes nothing. An event that cannot be applied (unknown type, missing metadata, unknown account) is acknowledged with applied: false so Stripe stops retrying; the reason is logged.",
    tag: "webhooks",
    auth: "public",
    edgeLimitExempt:
      "Stripe signs every event and sends them from a few addresses; a refused event waits for Stripe's retries",
    responses: {
      200: { description: "Acknowledged", schema: StripeAckSchema },
      400: { description: "INVALID_STRIPE_SIGNATURE or INVALID_JSON" },
    },
  },
  async (c) => {
    const body = await c.req.text();
    const check = await verifyStripeSignature(
      c.env.STRIPE_WEBHOOK_SECRET,
      c.req.header("stripe-signature"),
      body,
    );
    if (!check.ok) {
      throw new ApiError(
        "INVALID_STRIPE_SIGNATURE",
        `Stripe-Signature check failed: ${check.reason}.`,
      );
    }
    // The router's own readers: INVALID_JSON, 415, and INVALID_REQUEST naming the field.
    const event = parseInput("body", StripeEventSchema, await readJsonBody(c, StripeEventSchema));
    // An own entry only: a type named like an Object.prototype member handles nothing.
    const handler = ownValue(STRIPE_HANDLERS, event.type);
    if (!handler)
      return c.json({ received: true, applied: false, reason: "event type not handled" });
    try {
      return c.json({ received: true, ...(await handler(event, c.env)) });
    } catch (error) {
      const problem = asApiError(error);
      if (!problem || problem.status >= 500) throw error; // Stripe retries a 5xx
      console.error(`stripe event ${event.id}: ${problem.code}: ${problem.detail}`);
      return c.json({ received: true, applied: false, reason: problem.code });
    }
  },
);

export const webhookRoutes = [stripeWebhook];
