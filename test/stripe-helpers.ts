import { env } from "cloudflare:workers";
import { clock } from "../src/shared/clock.ts";
import { hmacSha256, toHex } from "../src/shared/crypto.ts";
import { api } from "./helpers.ts";

/** A Stripe-Signature header for `body`, as Stripe computes it. */
export async function stripeHeader(body: string, options: { secret?: string; at?: number } = {}) {
  const t = options.at ?? Math.floor(clock.now() / 1000);
  const v1 = toHex(await hmacSha256(options.secret ?? env.STRIPE_WEBHOOK_SECRET, `${t}.${body}`));
  return `t=${t},v1=${v1}`;
}

/** Posts an event to the Stripe webhook, correctly signed unless `signature` is given. */
export async function deliverStripe(body: string, signature?: string) {
  return api("/v1/webhooks/stripe", {
    method: "POST",
    headers: {
      "content-type": "application/json",
      "stripe-signature": signature ?? (await stripeHeader(body)),
    },
    body,
  });
}

/** A `customer.subscription.*` event for a user, `created` at the given unix second. */
export function subscriptionEvent(
  type: "created" | "updated" | "deleted",
  userId: string,
  plan: string | null,
  created: number,
  id = `evt_${crypto.randomUUID()}`,
) {
  return JSON.stringify({
    id,
    type: `customer.subscription.${type}`,
    created,
    data: {
      object: {
        id: `sub_${userId}`,
        object: "subscription",
        status: type === "deleted" ? "canceled" : "active",
        metadata: plan ? { user_id: userId, plan } : { user_id: userId },
      },
    },
  });
}
