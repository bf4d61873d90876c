// Seed 002's usage tracking without its races. The seed reads a KV counter, compares and writes
// it back, so concurrent calls overshoot the tier limit and the per-minute rate limit. Here one
// actor (the creation's) owns the counters and each track call checks and counts in one
// synchronous transaction: at a limit of 100, 150 concurrent calls count exactly 100.
//
// Order of a call: an idempotency key already answered returns that answer; then the user's
// per-minute rate limit (every call takes a slot, also one the tier then refuses); then the
// tier's monthly limit (a refused call counts nothing); then the count, the day and the plan.

import { ApiError } from "../../../shared/errors.ts";
import { canonicalJson } from "../../../shared/json.ts";
import {
  USAGE_IDEMPOTENCY_RETENTION_MS,
  USAGE_RATE_WINDOW_SECONDS,
  USAGE_RETENTION_MONTHS,
} from "../../../shared/limits.ts";
import type { Tier, Usage, UsageMode } from "../../../shared/schemas/usage.ts";
import { utcDate } from "../../../shared/time.ts";
import { type Period, periodMonthsBefore, periodOf } from "./period.ts";
import type { Tiers } from "./tiers.ts";

export interface TrackRequest {
  mode: UsageMode;
  user_id: string;
  meter: string;
  quantity: number;
  idempotency_key?: string | undefined;
}

/** The user's per-minute window after this call. */
export interface RateState {
  limit: number;
  remaining: number;
  /** Seconds until the window (the UTC minute) ends; at least 1. */
  reset_seconds: number;
}

export type TrackOutcome =
  | { outcome: "tracked"; replayed: boolean; usage: Usage; rate: RateState }
  | { outcome: "tier_limit"; usage: Usage; rate: RateState }
  | { outcome: "rate_limited"; rate: RateState };

/** The rate window, in ms (USAGE_RATE_WINDOW_SECONDS). */
const MINUTE_MS = USAGE_RATE_WINDOW_SECONDS * 1000;
/** Idempotency records deleted per call that stores one: old ones go a few at a time. */
const EXPIRED_TRACKS_PER_CALL = 16;

type PlanRow = { plan: string; changed_at: number; stripe_subscription: string | null };

export class UsageMeter {
  /** The period whose older ones were last pruned by this instance (once a month each). */
  private prunedBefore: string | null = null;

  constructor(
    private readonly storage: DurableObjectStorage,
    /** The deployment's per-minute limit (RATE_LIMIT_PER_MINUTE), read when used. */
    private readonly defaultRateLimit: () => number,
  ) {}

  private get sql(): SqlStorage {
    return this.storage.sql;
  }

  track(tiers: Tiers, request: TrackRequest, now: number): TrackOutcome {
    return this.storage.transactionSync(() => {
      const { mode, user_id, meter, quantity, idempotency_key } = request;
      const tier = this.tierOf(tiers, mode, user_id);
      const minute = Math.floor(now / MINUTE_MS);
      const requestText = canonicalJson({ user_id, meter, quantity });
      if (idempotency_key !== undefined) {
        const first = this.sql
          .exec<{ request: string; answer: string }>(
            "SELECT request, answer FROM usage_tracks WHERE mode = ? AND key = ?",
            mode,
            idempotency_key,
          )
          .toArray()[0];
        if (first) {
          if (first.request !== requestText) {
            throw new ApiError(
              "IDEMPOTENCY_KEY_REUSED",
              "This idempotency key was used to track another call; use a new key.",
              { idempotency_key },
            );
          }
          const usage = JSON.parse(first.answer) as Usage;
          return {
            outcome: "tracked",
            replayed: true,
            usage,
            rate: this.rate(mode, user_id, tier, minute, now),
          };
        }
      }

      // Each check is the write's own condition: a row comes back only when it was counted.
      const limit = this.rateLimitOf(tier);
      const used = this.sql
        .exec<{ count: number }>(
          `INSERT INTO usage_rates (mode, user_id, minute, count) VALUES (?, ?, ?, 1)
           ON CONFLICT (mode, user_id) DO UPDATE SET
             count = CASE WHEN minute = excluded.minute THEN count + 1 ELSE 1 END,
             minute = excluded.minute
           WHERE minute <> excluded.minute OR count < ?
           RETURNING count`,
          mode,
          user_id,
          minute,
          limit,
        )
        .toArray()[0]?.count;
      if (used === undefined) return { outcome: "rate_limited", rate: rateState(limit, 0, now) };
      const rate = rateState(limit, limit - used, now);

      const period = periodOf(now);
      const counted =
        tier.limit !== null && quantity > tier.limit
          ? undefined
          : this.sql
              .exec<{ count: number }>(
                `INSERT INTO usage_counts (mode, period, meter, user_id, count, plan, updated_at)
                 VALUES (?, ?, ?, ?, ?, ?, ?)
                 ON CONFLICT (mode, period, meter, user_id) DO UPDATE SET
                   count = count + excluded.count, plan = excluded.plan,
                   updated_at = excluded.updated_at
                 WHERE ? IS NULL OR count + excluded.count <= ?
                 RETURNING count`,
                mode,
                period.id,
                meter,
                user_id,
                quantity,
                tier.id,
                now,
                tier.limit,
                tier.limit,
              )
              .toArray()[0]?.count;
      if (counted === undefined) {
        const count = this.count(mode, period.id, meter, user_id);
        return { outcome: "tier_limit", usage: usageOf(count, tier, period), rate };
      }
      this.sql.exec(
        `INSERT INTO usage_days (mode, meter, day, plan, count) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT (mode, meter, day, plan) DO UPDATE SET count = count + excluded.count`,
        mode,
        meter,
        utcDate(now),
        tier.id,
        quantity,
      );
      const usage = usageOf(counted, tier, period);
      if (idempotency_key !== undefined)
        this.remember(mode, idempotency_key, requestText, usage, now);
      this.pruneOldPeriods(period, now);
      return { outcome: "tracked", replayed: false, usage, rate };
    });
  }

  /** The user's usage this period, counting nothing. */
  usage(tiers: Tiers, mode: UsageMode, userId: string, meter: string, now: number): Usage {
    const period = periodOf(now);
    const tier = this.tierOf(tiers, mode, userId);
    return usageOf(this.count(mode, period.id, meter, userId), tier, period);
  }

  /** Puts the user on `plan` (a tier id): the month's count stays, the new limit applies. */
  setPlan(tiers: Tiers, mode: UsageMode, userId: string, plan: string, now: number): Tier {
    const tier = tiers.require(plan);
    this.writePlan(mode, userId, tier.id, now, null);
    return tier;
  }

  /** Writes a plan change, unless a newer one is already recorded. */
  writePlan(
    mode: UsageMode,
    userId: string,
    plan: string,
    changedAt: number,
    stripeSubscription: string | null,
  ): boolean {
    const current = this.planRow(mode, userId);
    if (current && current.changed_at > changedAt) return false;
    this.sql.exec(
      `INSERT INTO usage_plans (mode, user_id, plan, changed_at, stripe_subscription)
       VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (mode, user_id) DO UPDATE SET plan = excluded.plan,
         changed_at = excluded.changed_at, stripe_subscription = excluded.stripe_subscription`,
      mode,
      userId,
      plan,
      changedAt,
      stripeSubscription,
    );
    return true;
  }

  planRow(mode: UsageMode, userId: string): PlanRow | null {
    return (
      this.sql
        .exec<PlanRow>(
          "SELECT plan, changed_at, stripe_subscription FROM usage_plans WHERE mode = ? AND user_id = ?",
          mode,
          userId,
        )
        .toArray()[0] ?? null
    );
  }

  private tierOf(tiers: Tiers, mode: UsageMode, userId: string): Tier {
    return tiers.of(this.planRow(mode, userId)?.plan ?? null);
  }

  private rateLimitOf(tier: Tier): number {
    return tier.rate_limit_per_minute ?? this.defaultRateLimit();
  }

  /** The window as it stands, taking no slot (what a replayed answer reports). */
  private rate(
    mode: UsageMode,
    userId: string,
    tier: Tier,
    minute: number,
    now: number,
  ): RateState {
    const limit = this.rateLimitOf(tier);
    return rateState(limit, Math.max(0, limit - this.rateCount(mode, userId, minute)), now);
  }

  private rateCount(mode: UsageMode, userId: string, minute: number): number {
    const row = this.sql
      .exec<{ minute: number; count: number }>(
        "SELECT minute, count FROM usage_rates WHERE mode = ? AND user_id = ?",
        mode,
        userId,
      )
      .toArray()[0];
    return row && row.minute === minute ? row.count : 0;
  }

  private count(mode: UsageMode, period: string, meter: string, userId: string): number {
    return (
      this.sql
        .exec<{ count: number }>(
          "SELECT count FROM usage_counts WHERE mode = ? AND period = ? AND meter = ? AND user_id = ?",
          mode,
          period,
          meter,
          userId,
        )
        .toArray()[0]?.count ?? 0
    );
  }

  private remember(mode: UsageMode, key: string, request: string, usage: Usage, now: number): void {
    this.sql.exec(
      `DELETE FROM usage_tracks WHERE (mode, key) IN
         (SELECT mode, key FROM usage_tracks WHERE created_at < ? LIMIT ?)`,
      now - USAGE_IDEMPOTENCY_RETENTION_MS,
      EXPIRED_TRACKS_PER_CALL,
    );
    this.sql.exec(
      "INSERT INTO usage_tracks (mode, key, request, answer, created_at) VALUES (?, ?, ?, ?, ?)",
      mode,
      key,
      request,
      JSON.stringify(usage),
      now,
    );
  }

  /** Drops counts and days older than the retention, once per period per instance. */
  private pruneOldPeriods(period: Period, now: number): void {
    if (this.prunedBefore === period.id) return;
    const oldest = periodMonthsBefore(now, USAGE_RETENTION_MONTHS);
    for (const mode of ["live", "test"]) {
      this.sql.exec("DELETE FROM usage_counts WHERE mode = ? AND period < ?", mode, oldest);
      this.sql.exec("DELETE FROM usage_days WHERE mode = ? AND day < ?", mode, `${oldest}-01`);
    }
    this.prunedBefore = period.id;
  }
}

export function usageOf(count: number, tier: Tier, period: Period): Usage {
  return {
    count,
    limit: tier.limit,
    remaining: tier.limit === null ? null : Math.max(0, tier.limit - count),
    plan: tier.id,
    periodStart: period.start,
    periodEnd: period.end,
  };
}

function rateState(limit: number, remaining: number, now: number): RateState {
  const resetMs = (Math.floor(now / MINUTE_MS) + 1) * MINUTE_MS - now;
  return { limit, remaining, reset_seconds: Math.max(1, Math.ceil(resetMs / 1000)) };
}
