// What reaches a UserDO besides requests: index upkeep from the names' own actors (outbox
// messages), and what a billing event did.

import * as v from "valibot";

/** A change of a name this user owns or collaborates on, sent by its SubdomainDO. */
export const SubdomainEventSchema = v.variant("kind", [
  v.object({
    kind: v.literal("released"),
    user_id: v.string(),
    name: v.string(),
    reservation_id: v.nullable(v.string()),
  }),
  v.object({
    kind: v.literal("imported"),
    user_id: v.string(),
    name: v.string(),
    reservation_id: v.string(),
    claimed_at: v.number(),
    frozen: v.boolean(),
  }),
  v.object({
    kind: v.literal("collaboration-started"),
    user_id: v.string(),
    name: v.string(),
    right: v.string(),
  }),
  v.object({ kind: v.literal("collaboration-ended"), user_id: v.string(), name: v.string() }),
]);

export type SubdomainEvent = v.InferInput<typeof SubdomainEventSchema>;

/** What one billing event did: applied (and which names it froze or unfroze), or why not. */
export interface BillingOutcome {
  applied: boolean;
  reason?: "stale";
  frozen: string[];
  unfrozen: string[];
}
