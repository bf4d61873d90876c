// How the dashboard writes numbers, days and tiers: in the reader's locale, days in UTC (the
// periods are UTC months), and one colour per plan shared by the chart and the tables.

import type { Tier, UsageSummary } from "../../src/shared/schemas/usage.ts";

const numbers = new Intl.NumberFormat();
const percents = new Intl.NumberFormat(undefined, { style: "percent", maximumFractionDigits: 1 });
const money = new Intl.NumberFormat(undefined, { style: "currency", currency: "USD" });
const monthName = new Intl.DateTimeFormat(undefined, {
  month: "long",
  year: "numeric",
  timeZone: "UTC",
});
const dayName = new Intl.DateTimeFormat(undefined, {
  month: "short",
  day: "numeric",
  timeZone: "UTC",
});
const weekdayName = new Intl.DateTimeFormat(undefined, {
  weekday: "short",
  month: "short",
  day: "numeric",
  timeZone: "UTC",
});

export const formatNumber = (value: number) => numbers.format(value);
export const formatShare = (part: number, whole: number) =>
  whole > 0 ? percents.format(part / whole) : "—";
/** Seed 002's prices are dollars a month. */
export const formatPrice = (price: number) => (price === 0 ? "Free" : `${money.format(price)}/mo`);

const utcDate = (isoDay: string) => new Date(`${isoDay}T00:00:00Z`);
/** "July 2026" for 2026-07. */
export const formatMonth = (period: string) => monthName.format(utcDate(`${period}-01`));
/** "Jul 14" for 2026-07-14. */
export const formatDay = (isoDay: string) => dayName.format(utcDate(isoDay));
/** "Tue, Jul 14" for 2026-07-14. */
export const formatWeekday = (isoDay: string) => weekdayName.format(utcDate(isoDay));

/** Tableau 10, minus its grey, which marks plans no longer among the tiers. */
const PALETTE = [
  "#4e79a7",
  "#f28e2b",
  "#59a14f",
  "#e15759",
  "#76b7b2",
  "#edc948",
  "#b07aa1",
  "#ff9da7",
  "#9c755f",
];
const RETIRED_PLAN_COLOUR = "#bab0ac";

/** A plan as the dashboard shows it: the tier when it still exists, else only its id. */
export interface Plan {
  id: string;
  name: string;
  colour: string;
  tier: Tier | null;
}

/** Every plan of the month: the creation's tiers in their order (the first is the default),
 *  then any plan calls were made on that is no longer a tier. */
export function plansOf(summary: UsageSummary): Plan[] {
  const plans: Plan[] = summary.tiers.map((tier, i) => ({
    id: tier.id,
    name: tier.name,
    colour: PALETTE[i % PALETTE.length] ?? RETIRED_PLAN_COLOUR,
    tier,
  }));
  const known = new Set(plans.map((plan) => plan.id));
  const seen = [
    ...summary.by_tier.map((row) => ({ id: row.plan, name: row.name })),
    ...summary.by_day.flatMap((day) => day.tiers.map((row) => ({ id: row.plan, name: row.plan }))),
    ...summary.top_users.map((row) => ({ id: row.plan, name: row.plan })),
  ];
  for (const { id, name } of seen) {
    if (known.has(id)) continue;
    known.add(id);
    plans.push({ id, name, colour: RETIRED_PLAN_COLOUR, tier: null });
  }
  return plans;
}

export function planById(plans: Plan[], id: string): Plan {
  return (
    plans.find((plan) => plan.id === id) ?? {
      id,
      name: id,
      colour: RETIRED_PLAN_COLOUR,
      tier: null,
    }
  );
}
