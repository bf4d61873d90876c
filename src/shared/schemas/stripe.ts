// What troupe answers Stripe: an acknowledgement, and whether the event was applied.

import * as v from "valibot";

export const StripeAckSchema = v.object({
  received: v.literal(true),
  applied: v.boolean(),
  replayed: v.optional(v.boolean()),
  reason: v.optional(v.string()),
});
