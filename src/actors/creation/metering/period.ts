// The metering period is the UTC calendar month (seed 002's getCurrentPeriod): `YYYY-MM`, from
// its first day to its last, both as `YYYY-MM-DD`. A new month starts from zero on its own,
// because counts are kept per period rather than reset in place.

import {
  DAY_MS,
  monthsAfter,
  nextUtcMonthStart,
  utcDate,
  utcMonthStart,
} from "../../../shared/time.ts";

export interface Period {
  /** `YYYY-MM` */
  id: string;
  /** `YYYY-MM-01` */
  start: string;
  /** `YYYY-MM-<last day>` */
  end: string;
  /** Every day of the month, `YYYY-MM-DD`, in order. */
  days(): string[];
}

export function periodOf(ms: number): Period {
  const first = utcMonthStart(ms);
  const next = nextUtcMonthStart(ms);
  return {
    id: utcDate(first).slice(0, 7),
    start: utcDate(first),
    end: utcDate(next - 1),
    days() {
      const days: string[] = [];
      for (let day = first; day < next; day += DAY_MS) days.push(utcDate(day));
      return days;
    },
  };
}

/** The period a `YYYY-MM` names (already validated by UsagePeriodSchema). */
export function periodNamed(id: string): Period {
  const [year, month] = id.split("-").map(Number) as [number, number];
  // Not Date.UTC(year, …): it reads years 0-99 as 1900-1999.
  const first = new Date(0);
  first.setUTCFullYear(year, month - 1, 1);
  return periodOf(first.getTime());
}

/** The period `months` before the one containing `ms`: what retention keeps back to. */
export function periodMonthsBefore(ms: number, months: number): string {
  return periodOf(monthsAfter(ms, -months)).id;
}
