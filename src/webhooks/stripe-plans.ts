// Stripe events that set a creation's end user's tier (seed 002): the subscription's or the
// checkout's metadata names the creation (`creation_id`), the user (`user_id` / `userId`, or the
// checkout's `client_reference_id`) and the tier (`tier` / `plan`). Events without `creation_id`
// are the platform's own plans (stripe.ts). The creation's actor applies each event once and
// newest first (actors/creation/metering/stripe-plans.ts).

import * as v from "valibot";
import { actorByName } from "../actors/refusal.ts";
import { clock } from "../shared/clock.ts";
import { CreationIdSchema } from "../shared/schemas/creation.ts";
import { EndUserIdSchema, TierIdSchema } from "../shared/schemas/usage.ts";
import type { StripeEvent, StripeOutcome } from "./stripe.ts";

const PlanMetadataSchema = v.looseObject({
  creation_id: CreationIdSchema,
  user_id: v.optional(EndUserIdSchema),
  userId: v.optional(EndUserIdSchema),
  tier: v.optional(TierIdSchema),
  plan: v.optional(TierIdSchema),
});

/** Whether an event is for a creation's end user: its metadata names a creation. */
export function namesCreation(event: StripeEvent): boolean {
  const metadata = event.data.object.metadata;
  return typeof metadata === "object" && metadata !== null && "creation_id" in metadata;
}

const stripeId = (value: unknown): string | null =>
  typeof value === "string" && /^[A-Za-z0-9_]{1,255}$/.test(value) ? value : null;

/** The plan change an event asks for: `plan` null goes back to the creation's default tier. */
export async function applyPlanEvent(
  event: StripeEvent,
  env: Env,
  change: "set" | "end",
  subscriptionId: string | null,
  referencedUser: unknown = undefined,
): Promise<StripeOutcome> {
  const metadata = v.safeParse(PlanMetadataSchema, event.data.object.metadata);
  if (!metadata.success) {
    return { applied: false, reason: "metadata needs creation_id, and ids in their formats" };
  }
  const { creation_id, user_id, userId, tier, plan } = metadata.output;
  const fromReference = v.safeParse(EndUserIdSchema, referencedUser);
  const user = user_id ?? userId ?? (fromReference.success ? fromReference.output : undefined);
  if (!user) return { applied: false, reason: "metadata needs user_id (or client_reference_id)" };
  const tierId = tier ?? plan ?? null;
  if (change === "set" && tierId === null) return { applied: false, reason: "metadata needs tier" };
  const result = await actorByName(env.CREATION, creation_id).applyStripePlan({
    event_id: event.id,
    created_ms: (event.created ?? Math.floor(clock.now() / 1000)) * 1000,
    mode: event.livemode === false ? "test" : "live",
    user_id: user,
    plan: change === "set" ? tierId : null,
    subscription_id: subscriptionId,
  });
  return result.applied ? { applied: true, replayed: result.replayed } : result;
}

/** `checkout.session.completed` (seed 002): the user paid for the tier in the metadata. */
export function checkoutCompleted(event: StripeEvent, env: Env): Promise<StripeOutcome> {
  const session = event.data.object;
  return applyPlanEvent(
    event,
    env,
    "set",
    stripeId(session.subscription),
    session.client_reference_id,
  );
}

/** A creation's subscription: active ones set the tier, a deleted one ends it. */
export function creationSubscriptionChanged(
  event: StripeEvent,
  env: Env,
  ended: boolean,
): Promise<StripeOutcome> {
  const subscription = event.data.object;
  const status = subscription.status;
  if (!ended && typeof status === "string" && !["active", "trialing"].includes(status)) {
    return Promise.resolve({ applied: false, reason: `subscription is ${status}` });
  }
  return applyPlanEvent(event, env, ended ? "end" : "set", stripeId(subscription.id));
}
