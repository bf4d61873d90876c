// A creation's tiers (seed 002's tier config), stored as JSON on its row. Until it sets its own
// it has the seed's defaults: free, 5 calls a month, and paid, 500. The first tier is the plan
// of a user who has none, and of one whose tier was since removed.

import * as v from "valibot";
import { ApiError } from "../../../shared/errors.ts";
import { type Tier, type TierList, TierSchema } from "../../../shared/schemas/usage.ts";

export const DEFAULT_TIERS: readonly Tier[] = Object.freeze([
  {
    id: "free",
    name: "Free",
    price: 0,
    limit: 5,
    features: [],
    popular: false,
    stripe_price_id: null,
    rate_limit_per_minute: null,
  },
  {
    id: "paid",
    name: "Paid",
    price: 29,
    limit: 500,
    features: [],
    popular: true,
    stripe_price_id: null,
    rate_limit_per_minute: null,
  },
]);

export class Tiers {
  readonly list: readonly Tier[];
  readonly defaults: boolean;

  constructor(stored: string | null) {
    this.defaults = stored === null;
    this.list = stored === null ? DEFAULT_TIERS : v.parse(v.array(TierSchema), JSON.parse(stored));
  }

  get default(): Tier {
    return this.list[0] as Tier;
  }

  /** The tier `plan` names, or the default when it names none (a tier since removed). */
  of(plan: string | null): Tier {
    return (plan === null ? undefined : this.find(plan)) ?? this.default;
  }

  find(plan: string): Tier | undefined {
    return this.list.find((tier) => tier.id === plan);
  }

  /** The tier a plan change names, which must exist. */
  require(plan: string): Tier {
    const tier = this.find(plan);
    if (!tier) {
      throw new ApiError("PLAN_NOT_FOUND", `This creation has no tier "${plan}".`, {
        plans: this.list.map((item) => item.id),
      });
    }
    return tier;
  }

  view(): TierList {
    return { tiers: [...this.list], default_plan: this.default.id, defaults: this.defaults };
  }
}
