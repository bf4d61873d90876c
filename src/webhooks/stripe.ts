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
import { checkoutCompleted, creationSubscriptionChanged, namesCreation } from "./stripe-plans.ts";

export const StripeEventSchema = v.looseObject({
  id: v.pipe(v.string(), v.minLength(1), v.maxLength(STRIPE_EVENT_ID_MAX_LENGTH)),
  type: v.string(),
  created: v.optional(v.number()),
  livemode: v.optional(v.boolean()),
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

/** Seed 001's package purchase: AI minutes, credited as seconds to the user's paid bucket. */
const PackageMetadataSchema = v.object({
  userId: UserIdSchema,
  packageName: v.pipe(v.string(), v.regex(/^[A-Za-z0-9 _-]{1,64}$/)),
  minutesPurchased: v.pipe(v.string(), v.regex(/^[1-9]\d{0,6}$/), v.transform(Number)),
});

/** "Stripe payment pi_…": the object id only when it looks like one (event bodies are signed,
 * not trusted to be tidy), so a description never carries what a wallet must refuse. */
function stripeObjectDescription(what: string, id: unknown): string {
  return typeof id === "string" && /^[A-Za-z0-9_]{1,255}$/.test(id) ? `${what} ${id}` : what;
}

/** `payment_intent.succeeded` with metadata `{ user_id | creation_id, amount }` credits paid
 * credits to that wallet; `amount` is credits, not the charge in cents. */
async function paymentSucceeded(event: StripeEvent, env: Env): Promise<StripeOutcome> {
  const pack = v.safeParse(PackageMetadataSchema, event.data.object.metadata);
  if (pack.success) return packagePurchased(event, env, pack.output);
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

/** Seed 001's `payment_intent.succeeded` with `{ userId, packageName, minutesPurchased }`:
 * `minutesPurchased × 60` seconds into the user's paid bucket, once per event, described as the
 * purchase of the package. */
async function packagePurchased(
  event: StripeEvent,
  env: Env,
  pack: v.InferOutput<typeof PackageMetadataSchema>,
): Promise<StripeOutcome> {
  const account = userAccount(pack.userId);
  const minutes = pack.minutesPurchased;
  const result = await actorByName(env.WALLET, account).deposit(
    account,
    STRIPE_PRINCIPAL,
    {
      amount: minutes * 60,
      description: `${stripeObjectDescription(`Purchase of ${pack.packageName} (${minutes} min): Stripe payment`, event.data.object.id)}`,
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
    if (namesCreation(event)) {
      return creationSubscriptionChanged(event, env, subscription === "canceled");
    }
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
  "checkout.session.completed": checkoutCompleted,
  "payment_intent.succeeded": paymentSucceeded,
  "customer.subscription.created": subscriptionChanged("active"),
  "customer.subscription.updated": subscriptionChanged("active"),
  "customer.subscription.deleted": subscriptionChanged("canceled"),
};
