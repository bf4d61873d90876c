// Cron expressions, always in UTC, evaluated by croner. Five fields (minute precision) or six
// (with seconds); day-of-month and day-of-week combine with OR, as in classic cron.

import { Cron } from "croner";

/** How many upcoming runs are inspected to find an expression's shortest interval. */
const INTERVAL_SAMPLE_RUNS = 16;

function parse(expression: string): Cron {
  return new Cron(expression, { timezone: "UTC" });
}

/** Returns why the expression is invalid, or null when it is valid. */
export function cronError(expression: string): string | null {
  try {
    parse(expression);
    return null;
  } catch (error) {
    return error instanceof Error ? error.message : "invalid cron expression";
  }
}

/** The first run strictly after `afterMs`, or null when the expression never fires again. */
export function nextCronRun(expression: string, afterMs: number): number | null {
  return parse(expression).nextRun(new Date(afterMs))?.getTime() ?? null;
}

/** The shortest gap between consecutive upcoming runs, in seconds (Infinity if < 2 runs). */
export function shortestCronIntervalSeconds(expression: string, fromMs: number): number {
  const runs = parse(expression).nextRuns(INTERVAL_SAMPLE_RUNS, new Date(fromMs));
  let shortest = Number.POSITIVE_INFINITY;
  for (let i = 1; i < runs.length; i++) {
    shortest = Math.min(
      shortest,
      ((runs[i] as Date).getTime() - (runs[i - 1] as Date).getTime()) / 1000,
    );
  }
  return shortest;
}
