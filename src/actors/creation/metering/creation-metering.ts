// The creation actor's metering methods: who may call each (access.ts), the input checked
// again, then the meter (meter.ts), the summary (summary.ts) or a Stripe plan change
// (stripe-plans.ts). CreationDO's RPC methods hand their calls here.

import * as v from "valibot";
import { clock } from "../../../shared/clock.ts";
import { invalidField } from "../../../shared/errors.ts";
import type { Principal } from "../../../shared/schemas/principal.ts";
import {
  DEFAULT_METER,
  type PlanSet,
  type PutPlan,
  PutPlanSchema,
  type PutTiers,
  PutTiersSchema,
  type TierList,
  type Track,
  TrackSchema,
  type Usage,
  type UsageSummary,
  type UsageSummaryQuery,
  UsageSummaryRequestSchema,
  type UsageUserQuery,
  UsageUserQuerySchema,
} from "../../../shared/schemas/usage.ts";
import { authorize, type Role } from "../../access.ts";
import type { CreationHost } from "../host.ts";
import type { CreationRow } from "../schema.ts";
import { type MeterAccess, meterMode } from "./access.ts";
import { type TrackOutcome, UsageMeter } from "./meter.ts";
import { periodOf } from "./period.ts";
import { applyStripePlan, type StripePlanChange, type StripePlanOutcome } from "./stripe-plans.ts";
import { usageSummary } from "./summary.ts";
import { Tiers } from "./tiers.ts";

export interface MeteringHost extends CreationHost {
  /** The deployment's per-minute limit (RATE_LIMIT_PER_MINUTE). */
  rateLimitPerMinute(): number;
}

/** Who writes: the creation's servers, its owner, the platform. Readers add admins. */
const WRITERS: readonly Role[] = ["owner", "service", "self"];
const READERS: readonly Role[] = ["owner", "admin", "service", "self"];

export class CreationMetering {
  private readonly meter: UsageMeter;

  constructor(private readonly host: MeteringHost) {
    this.meter = new UsageMeter(host.storage, host.rateLimitPerMinute);
  }

  putTiers(caller: Principal, input: PutTiers): TierList {
    authorize(caller, this.host.owned(this.host.require()), WRITERS);
    const { tiers } = v.parse(PutTiersSchema, input);
    this.host.storage.sql.exec(
      "UPDATE creation SET tiers = ?, updated_at = ?",
      JSON.stringify(tiers),
      clock.now(),
    );
    return this.tiers(this.host.require()).view();
  }

  /** `caller` is null for a page the router let in with the creation's publishable key. */
  listTiers(caller: Principal | null): TierList {
    const row = this.host.require();
    if (caller) authorize(caller, this.host.owned(row), READERS);
    return this.tiers(row).view();
  }

  track(access: MeterAccess, input: Track): TrackOutcome {
    const row = this.host.require();
    const track = v.parse(TrackSchema, input);
    // On a page, the signed-in user is the one metered when the body names nobody.
    const pageUser = access.publishable && access.caller.type === "user" ? access.caller.id : null;
    const userId = track.user_id ?? pageUser;
    const mode = meterMode(access, this.host.owned(row), WRITERS, userId, undefined);
    if (userId === null) throw invalidField("body", "user_id", "names the end user to meter");
    return this.meter.track(this.tiers(row), { ...track, mode, user_id: userId }, clock.now());
  }

  userUsage(access: MeterAccess, userId: string, query: UsageUserQuery): Usage {
    const { meter, mode: requested } = v.parse(UsageUserQuerySchema, query);
    const row = this.host.require();
    const mode = meterMode(access, this.host.owned(row), READERS, userId, requested);
    return this.meter.usage(this.tiers(row), mode, userId, meter, clock.now());
  }

  setPlan(caller: Principal, userId: string, input: PutPlan): PlanSet {
    const { plan, mode: requested } = v.parse(PutPlanSchema, input);
    const row = this.host.require();
    const tiers = this.tiers(row);
    const owned = this.host.owned(row);
    const mode = meterMode({ caller, publishable: null }, owned, WRITERS, null, requested);
    const now = clock.now();
    const tier = this.meter.setPlan(tiers, mode, userId, plan, now);
    return {
      user_id: userId,
      plan: tier.id,
      usage: this.meter.usage(tiers, mode, userId, DEFAULT_METER, now),
    };
  }

  summary(caller: Principal, query: UsageSummaryQuery): UsageSummary {
    const row = this.host.require();
    const parsed = v.parse(UsageSummaryRequestSchema, query);
    const owned = this.host.owned(row);
    const mode = meterMode({ caller, publishable: null }, owned, READERS, null, parsed.mode);
    const period = parsed.period ?? periodOf(clock.now()).id;
    const summary = usageSummary(this.host.storage.sql, this.tiers(row), {
      ...parsed,
      mode,
      period,
    });
    return { creation_id: row.id, ...summary };
  }

  applyStripePlan(change: StripePlanChange): StripePlanOutcome {
    const tiers = this.tiers(this.host.require());
    return applyStripePlan(this.host.storage, this.meter, tiers, change, clock.now());
  }

  /** Parsed once per change of the stored JSON, not on every call (a track is a hot path). */
  private parsedTiers: { stored: string | null; tiers: Tiers } | null = null;

  private tiers(row: CreationRow): Tiers {
    if (this.parsedTiers?.stored !== row.tiers) {
      this.parsedTiers = { stored: row.tiers, tiers: new Tiers(row.tiers) };
    }
    return this.parsedTiers.tiers;
  }
}
