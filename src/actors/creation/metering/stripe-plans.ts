// Stripe events that move an end user between a creation's tiers (seed 002): a completed
// checkout or an active subscription puts the user on the tier it names; a deleted subscription
// puts them back on the default tier, unless another subscription set their plan since. Each
// event applies once (its id is kept), and an event older than the plan's last change applies
// nothing, so redelivery and any order of delivery end in the same plan.

import * as v from "valibot";
import { STRIPE_EVENT_ID_MAX_LENGTH } from "../../../shared/limits.ts";
import { EndUserIdSchema, TierIdSchema, UsageModeSchema } from "../../../shared/schemas/usage.ts";
import type { UsageMeter } from "./meter.ts";
import type { Tiers } from "./tiers.ts";

export const StripePlanChangeSchema = v.object({
  event_id: v.pipe(v.string(), v.minLength(1), v.maxLength(STRIPE_EVENT_ID_MAX_LENGTH)),
  /** The event's `created`, in ms: orders changes. */
  created_ms: v.pipe(v.number(), v.integer(), v.minValue(0)),
  mode: UsageModeSchema,
  user_id: EndUserIdSchema,
  /** The tier to move to; null: back to the default tier (a subscription ended). */
  plan: v.nullable(TierIdSchema),
  subscription_id: v.nullable(v.string()),
});
export type StripePlanChange = v.InferOutput<typeof StripePlanChangeSchema>;

export type StripePlanOutcome =
  | { applied: true; replayed: boolean; plan: string }
  | { applied: false; reason: string };

export function applyStripePlan(
  storage: DurableObjectStorage,
  meter: UsageMeter,
  tiers: Tiers,
  input: StripePlanChange,
  now: number,
): StripePlanOutcome {
  const change = v.parse(StripePlanChangeSchema, input);
  return storage.transactionSync((): StripePlanOutcome => {
    const seen = storage.sql
      .exec<{ outcome: string }>(
        "SELECT outcome FROM usage_stripe_events WHERE id = ?",
        change.event_id,
      )
      .toArray()[0];
    if (seen) return { ...(JSON.parse(seen.outcome) as StripePlanOutcome), ...replayed(seen) };
    const outcome = decide(meter, tiers, change);
    storage.sql.exec(
      "INSERT INTO usage_stripe_events (id, outcome, received_at) VALUES (?, ?, ?)",
      change.event_id,
      JSON.stringify(outcome),
      now,
    );
    return outcome;
  });
}

function replayed(seen: { outcome: string }): { replayed?: true } {
  return (JSON.parse(seen.outcome) as StripePlanOutcome).applied ? { replayed: true } : {};
}

function decide(meter: UsageMeter, tiers: Tiers, change: StripePlanChange): StripePlanOutcome {
  const { mode, user_id, plan, subscription_id, created_ms } = change;
  const current = meter.planRow(mode, user_id);
  if (plan === null) {
    // Only the subscription that set the plan can end it.
    if (
      current?.stripe_subscription &&
      subscription_id &&
      current.stripe_subscription !== subscription_id
    ) {
      return { applied: false, reason: "another subscription set the user's plan" };
    }
    const fallback = tiers.default.id;
    return meter.writePlan(mode, user_id, fallback, created_ms, null)
      ? { applied: true, replayed: false, plan: fallback }
      : { applied: false, reason: "older than the user's last plan change" };
  }
  if (!tiers.find(plan)) return { applied: false, reason: `the creation has no tier "${plan}"` };
  return meter.writePlan(mode, user_id, plan, created_ms, subscription_id)
    ? { applied: true, replayed: false, plan }
    : { applied: false, reason: "older than the user's last plan change" };
}
