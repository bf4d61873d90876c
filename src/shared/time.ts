// UTC calendar arithmetic: daily gifts reset and budget periods roll over at 00:00 UTC.

export const DAY_MS = 24 * 60 * 60 * 1000;

/** 00:00 UTC of the day containing `ms`. */
export function utcDayStart(ms: number): number {
  return Math.floor(ms / DAY_MS) * DAY_MS;
}

/** The next 00:00 UTC strictly after `ms`. */
export function nextUtcMidnight(ms: number): number {
  return utcDayStart(ms) + DAY_MS;
}

/** 00:00 UTC on the first day of the month containing `ms`. */
export function utcMonthStart(ms: number): number {
  return monthsAfter(ms, 0);
}

/** 00:00 UTC on the first day of the month after the one containing `ms`. */
export function nextUtcMonthStart(ms: number): number {
  return monthsAfter(ms, 1);
}

/** 00:00 UTC on the first of the month `months` after (or before) the one containing `ms`.
 *  Not Date.UTC(year, …), which reads the years 0-99 as 1900-1999. */
export function monthsAfter(ms: number, months: number): number {
  const date = new Date(ms);
  const first = new Date(0);
  first.setUTCFullYear(date.getUTCFullYear(), date.getUTCMonth() + months, 1);
  return first.getTime();
}

/** The instant `months` calendar months after `ms`, at the same time of day; a day the target
 *  month lacks (a subscription from the 31st) becomes that month's last day. */
export function sameDayMonthsAfter(ms: number, months: number): number {
  const date = new Date(ms);
  const lastDay = new Date(monthsAfter(ms, months + 1) - DAY_MS).getUTCDate();
  const target = new Date(ms);
  target.setUTCFullYear(
    date.getUTCFullYear(),
    date.getUTCMonth() + months,
    Math.min(date.getUTCDate(), lastDay),
  );
  return target.getTime();
}

/** `YYYY-MM-DD` of the UTC day containing `ms`. */
export function utcDate(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

export const iso = (ms: number): string => new Date(ms).toISOString();
export const isoOrNull = (ms: number | null): string | null => (ms === null ? null : iso(ms));
