// How much to fuzz. CI (`npm test`) runs the defaults below with a fixed seed; `npm run fuzz`
// (scripts/fuzz.mjs) hands other settings to the workerd test isolate through vitest's
// provide/inject, because environment variables do not reach it.

import type * as fc from "fast-check";
import { inject } from "vitest";

/** Cases across both fuzz files in a default run (a little over a minute on two cores; each
 * wrong-credentials case is sent once per wrong credential on top). */
export const CI_TOTAL_RUNS = 2_500;
/** The fixed seed of a default run, so CI is reproducible. */
export const CI_SEED = 20_261_201;
/** Share of the cases that go to the HTTP routes; the rest go to room frames. */
export const ROUTES_SHARE = 0.7;
/** No property runs fewer cases than this, however many properties share the budget. */
export const MIN_RUNS_PER_PROPERTY = 5;
/** Time allowed per case when sizing a test's timeout (shrinking a failure included). */
const TIMEOUT_PER_RUN_MS = 400;
const TIMEOUT_FLOOR_MS = 120_000;

export interface FuzzSettings {
  /** Cases across both files. */
  runs: number;
  seed: number;
  /** fast-check verbosity: 0 counterexample only, 1 also every failure met while shrinking. */
  verbose: 0 | 1 | 2;
  /** Replays one counterexample (with the seed it was found with). */
  path?: string;
}

export function fuzzSettings(): FuzzSettings {
  const provided = inject("fuzz") ?? {};
  return {
    runs: provided.runs ?? CI_TOTAL_RUNS,
    seed: provided.seed ?? CI_SEED,
    verbose: provided.verbose ?? 0,
    ...(provided.path ? { path: provided.path } : {}),
  };
}

/** Runs for each of `properties` properties sharing `share` of the total. */
export function runsPerProperty(settings: FuzzSettings, share: number, properties: number): number {
  return Math.max(MIN_RUNS_PER_PROPERTY, Math.floor((settings.runs * share) / properties));
}

export function assertParameters<T>(settings: FuzzSettings, numRuns: number): fc.Parameters<T> {
  return {
    seed: settings.seed,
    numRuns,
    verbose: settings.verbose,
    ...(settings.path ? { path: settings.path } : {}),
  };
}

export const timeoutFor = (numRuns: number) =>
  Math.max(TIMEOUT_FLOOR_MS, numRuns * TIMEOUT_PER_RUN_MS);
