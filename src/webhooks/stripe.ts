// Stripe events, dispatched by type. Each handler applies its event through an actor keyed by
// the event id, so a redelivered event has its effect once. Add a handler to STRIPE_HANDLERS
// to act on another event type; unknown types are acknowledged and ignored.

import * as v from "valibot";
import { actorByName } from "../actors/refusal.ts";
import { creationAccount, userAccount } from "../actors/wallet/account.ts";
import { clock } from "../shared/clock.ts";
import { UserIdSchema } from "../shared/ids.ts";
import { STRIPE_EVENT_ID_MAX_LENGTH } from "../shared/limits.ts";
import { CreationIdSchema } from "../shared/schemas/creation.ts";
import type { ServicePrincipal } from "../shared/schemas/principal.ts";

export const StripeEventSchema = v.looseObject({
  id: v.pipe(v.string(), v.minLength(1), v.maxLength(STRIPE_EVENT_ID_MAX_LENGTH)),
  type: v.string(),
  created: v.optional(v.number()),
  data: v.looseObject({ object: v.looseObject({}) }),
});
export type StripeEvent = v.InferOutput<typeof StripeEventSchema>;

/** What a handler did: applied, or a reason it could not (acknowledged, logged, not retried). */
export type StripeOutcome =
  | { applied: true; replayed: boolean }
  | { applied: false; reason: string };

type StripeHandler = (event: StripeEvent, env: Env) => Promise<StripeOutcome>;

/** The platform acting on a verified Stripe event. */
const STRIPE_PRINCIPAL: ServicePrincipal = { type: "service", id: "platform", secret_index: 0 };

const digits = v.pipe(v.string(), v.regex(/^[1-9]\d{0,11}$/), v.transform(Number));
const PaymentMetadataSchema = v.union([
  v.object({ user_id: UserIdSchema, amount: digits }),
  v.object({ creation_id: CreationIdSchema, amount: digits }),
]);

/** "Stripe payment pi_…": the object id only when it looks like one (event bodies are signed,
 * not trusted to be tidy), so a description never carries what a wallet must refuse. */
function stripeObjectDescription(what: string, id: unknown): string {
  return typeof id === "string" && /^[A-Za-z0-9_]{1,255}$/.test(id) ? `${what} ${id}` : what;
}

/** `payment_intent.succeeded` with metadata `{ user_id | creation_id, amount }` credits paid
 * credits to that wallet; `amount` is credits, not the charge in cents. */
async function paymentSucceeded(event: StripeEvent, env: Env): Promise<StripeOutcome> {
  const metadata = v.safeParse(PaymentMetadataSchema, event.data.object.metadata);
  if (!metadata.success)
    return { applied: false, reason: "metadata needs user_id or creation_id, and amount" };
  const account =
    "user_id" in metadata.output
      ? userAccount(metadata.output.user_id)
      : creationAccount(metadata.output.creation_id);
  const result = await actorByName(env.WALLET, account).deposit(
    account,
    STRIPE_PRINCIPAL,
    {
      amount: metadata.output.amount,
      description: stripeObjectDescription("Stripe payment", event.data.object.id),
    },
    `stripe:${event.id}`,
  );
  return { applied: true, replayed: result.replayed };
}

const SubscriptionMetadataSchema = v.object({
  user_id: UserIdSchema,
  plan: v.optional(v.pipe(v.string(), v.regex(/^[a-z0-9_-]{1,64}$/))),
});

/** Subscription events set the user's plan (created/updated) or end it (deleted); the user's
 * actor freezes and unfreezes their subdomains to match, once per event, newest wins. */
function subscriptionChanged(subscription: "active" | "canceled"): StripeHandler {
  return async (event, env) => {
    const metadata = v.safeParse(SubscriptionMetadataSchema, event.data.object.metadata);
    if (!metadata.success) return { applied: false, reason: "metadata needs user_id" };
    const plan = metadata.output.plan ?? null;
    if (subscription === "active" && plan === null) {
      return { applied: false, reason: "metadata needs plan" };
    }
    const userId = metadata.output.user_id;
    const result = await actorByName(env.USER, userId).applyBilling(userId, {
      event_id: event.id,
      created: event.created ?? Math.floor(clock.now() / 1000),
      subscription,
      plan,
    });
    return result.applied
      ? { applied: true, replayed: result.replayed }
      : { applied: false, reason: `${result.reason} event` };
  };
}

export const STRIPE_HANDLERS: Record<string, StripeHandler> = {
  "payment_intent.succeeded": paymentSucceeded,
  "customer.subscription.created": subscriptionChanged("active"),
  "customer.subscription.updated": subscriptionChanged("active"),
  "customer.subscription.deleted": subscriptionChanged("canceled"),
};
