// What the dashboard shows — which creation, which UTC month, live or test, which meter — kept
// in the page's address (?creation=&period=&mode=&meter=), so a reload or a shared link opens
// the same view. The address never holds a credential.

import { USAGE_RETENTION_MONTHS } from "../../src/shared/limits.ts";
import { DEFAULT_METER, type UsageMode } from "../../src/shared/schemas/usage.ts";

export interface Selection {
  creationId: string | null;
  /** YYYY-MM, a UTC month. */
  period: string;
  mode: UsageMode;
  meter: string;
}

const PERIOD = /^\d{4}-(0[1-9]|1[0-2])$/;
export const METER_PATTERN = "[a-z][a-z0-9_]{0,31}";
const METER = new RegExp(`^${METER_PATTERN}$`);

/** The UTC month `offset` months from the one `now` is in, as YYYY-MM. */
export function utcMonth(now: Date, offset = 0): string {
  const month = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + offset, 1));
  return month.toISOString().slice(0, 7);
}

/** The months a creation keeps usage for: the oldest kept and the current one. */
export function periodBounds(now = new Date()): { oldest: string; newest: string } {
  return { oldest: utcMonth(now, 1 - USAGE_RETENTION_MONTHS), newest: utcMonth(now) };
}

/** The month before (-1) or after (+1) `period`. */
export function shiftPeriod(period: string, months: number): string {
  const [year, month] = period.split("-").map(Number);
  return utcMonth(new Date(Date.UTC(year ?? 1970, (month ?? 1) - 1, 1)), months);
}

export function selectionFromAddress(search = location.search): Selection {
  const params = new URLSearchParams(search);
  const period = params.get("period") ?? "";
  const meter = params.get("meter") ?? "";
  return {
    creationId: params.get("creation") || null,
    period: PERIOD.test(period) ? period : utcMonth(new Date()),
    mode: params.get("mode") === "test" ? "test" : "live",
    meter: METER.test(meter) ? meter : DEFAULT_METER,
  };
}

/** Puts the selection in the address without a new history entry; defaults are left out. */
export function writeAddress(selection: Selection): void {
  const params = new URLSearchParams();
  if (selection.creationId) params.set("creation", selection.creationId);
  if (selection.period !== utcMonth(new Date())) params.set("period", selection.period);
  if (selection.mode !== "live") params.set("mode", selection.mode);
  if (selection.meter !== DEFAULT_METER) params.set("meter", selection.meter);
  const query = params.size > 0 ? `?${params}` : "";
  history.replaceState(null, "", `${location.pathname}${query}`);
}

export function isMeter(value: string): boolean {
  return METER.test(value);
}
