// What a creation's usage looked like in one month, read from the tables the meter keeps in the
// same transaction as each count (meter.ts): calls per day and plan, users per plan, and the top
// users, most calls first, paged by a cursor of the last row's count and user id.

import { base64url, fromBase64url } from "../../../shared/crypto.ts";
import { invalidField } from "../../../shared/errors.ts";
import type { UsageMode, UsageSummary } from "../../../shared/schemas/usage.ts";
import { periodNamed } from "./period.ts";
import type { Tiers } from "./tiers.ts";

export interface SummaryRequest {
  mode: UsageMode;
  meter: string;
  period: string;
  limit: number;
  cursor?: string | undefined;
}

type TopRow = { user_id: string; plan: string; count: number };

export function usageSummary(
  sql: SqlStorage,
  tiers: Tiers,
  request: SummaryRequest,
): Omit<UsageSummary, "creation_id"> {
  const { mode, meter, limit } = request;
  const period = periodNamed(request.period);
  const days = sql
    .exec<{ day: string; plan: string; count: number }>(
      `SELECT day, plan, count FROM usage_days
       WHERE mode = ? AND meter = ? AND day BETWEEN ? AND ? ORDER BY day, plan`,
      mode,
      meter,
      period.start,
      period.end,
    )
    .toArray();
  const byDay = new Map(
    period
      .days()
      .map((day) => [day, { day, count: 0, tiers: [] as { plan: string; count: number }[] }]),
  );
  const callsByPlan = new Map<string, number>();
  for (const row of days) {
    const day = byDay.get(row.day);
    if (!day) continue;
    day.count += row.count;
    day.tiers.push({ plan: row.plan, count: row.count });
    callsByPlan.set(row.plan, (callsByPlan.get(row.plan) ?? 0) + row.count);
  }
  const usersByPlan = new Map(
    sql
      .exec<{ plan: string; users: number }>(
        `SELECT plan, COUNT(*) AS users FROM usage_counts
         WHERE mode = ? AND period = ? AND meter = ? GROUP BY plan`,
        mode,
        period.id,
        meter,
      )
      .toArray()
      .map((row) => [row.plan, row.users]),
  );
  // Every tier, then plans that were used but have since been removed.
  const plans = [
    ...tiers.list.map((tier) => tier.id),
    ...[...callsByPlan.keys()].filter((plan) => !tiers.find(plan)).sort(),
  ];
  const after = request.cursor === undefined ? null : readCursor(request.cursor);
  const top = sql
    .exec<TopRow>(
      `SELECT user_id, plan, count FROM usage_counts
       WHERE mode = ? AND period = ? AND meter = ?
         AND (? IS NULL OR count < ? OR (count = ? AND user_id > ?))
       ORDER BY count DESC, user_id ASC LIMIT ?`,
      mode,
      period.id,
      meter,
      after?.count ?? null,
      after?.count ?? 0,
      after?.count ?? 0,
      after?.userId ?? "",
      limit + 1,
    )
    .toArray();
  const more = top.length > limit;
  const page = more ? top.slice(0, limit) : top;
  const last = page.at(-1);
  return {
    mode,
    meter,
    period: period.id,
    periodStart: period.start,
    periodEnd: period.end,
    total: [...callsByPlan.values()].reduce((sum, count) => sum + count, 0),
    unique_users: [...usersByPlan.values()].reduce((sum, users) => sum + users, 0),
    by_day: [...byDay.values()],
    by_tier: plans.map((plan) => ({
      plan,
      name: tiers.find(plan)?.name ?? plan,
      count: callsByPlan.get(plan) ?? 0,
      users: usersByPlan.get(plan) ?? 0,
    })),
    tiers: [...tiers.list],
    top_users: page.map((row) => ({ user_id: row.user_id, plan: row.plan, count: row.count })),
    next_cursor: more && last ? writeCursor(last) : null,
  };
}

function writeCursor(row: TopRow): string {
  return base64url(new TextEncoder().encode(JSON.stringify([row.count, row.user_id])));
}

function readCursor(cursor: string): { count: number; userId: string } {
  const bytes = fromBase64url(cursor);
  let value: unknown = null;
  try {
    value = bytes
      ? JSON.parse(new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(bytes))
      : null;
  } catch {
    value = null;
  }
  if (
    !Array.isArray(value) ||
    value.length !== 2 ||
    !Number.isSafeInteger(value[0]) ||
    value[0] < 0 ||
    typeof value[1] !== "string"
  ) {
    throw invalidField("query", "cursor", "must be a next_cursor this summary returned");
  }
  return { count: value[0], userId: value[1] };
}
