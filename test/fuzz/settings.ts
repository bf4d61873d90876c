// How much to fuzz. CI (`npm test`) runs the defaults below with a fixed seed; `npm run fuzz`
// (scripts/fuzz.mjs) hands other settings to the workerd test isolate through vitest's
// provide/inject, because environment variables do not reach it.

import type * as fc from "fast-check";
import { inject } from "vitest";

/** Cases each fuzz file gets in a default run: the HTTP routes of the published document,
 * the room frames, and the inputs read outside any published schema (headers and signatures,
 * bearer tokens, signed Stripe events, the registry import, dev sign-in), whose cases send
 * several requests each. `--runs N` scales them all to N in these proportions. */
export const CI_RUNS_BY_SUITE = {
  routes: 1_750,
  frames: 750,
  "signed calls": 300,
  authorization: 160,
  stripe: 200,
  "registry import": 150,
  "dev sign-in": 100,
  credentials: 300,
  metering: 60,
  commerce: 40,
  "commerce inputs": 120,
} as const;
export type Suite = keyof typeof CI_RUNS_BY_SUITE;
/** Cases across all fuzz files in a default run (about 80 s on two cores; each
 * wrong-credentials case is sent once per wrong credential on top). */
export const CI_TOTAL_RUNS = Object.values(CI_RUNS_BY_SUITE).reduce((sum, runs) => sum + runs, 0);
/** The fixed seed of a default run, so CI is reproducible. */
export const CI_SEED = 20_261_201;
/** No property runs fewer cases than this, however many properties share the budget. */
export const MIN_RUNS_PER_PROPERTY = 5;
/** Time allowed per request (or frame) when sizing a test's timeout, shrinking included. */
const TIMEOUT_PER_RUN_MS = 400;
const TIMEOUT_FLOOR_MS = 120_000;
/** Time a fuzz file's fixture world may take to set up (beforeAll). */
export const SETUP_TIMEOUT_MS = 60_000;

export interface FuzzSettings {
  /** Cases across all files. */
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

/** What each property of one fuzz file may spend. */
export interface PropertyBudget {
  readonly settings: FuzzSettings;
  /** Cases per property: the file's share of the run, split evenly over its properties. */
  readonly runs: number;
  /** fast-check's parameters for a property of `runs` cases (the budget's by default). */
  parameters<T>(runs?: number): fc.Parameters<T>;
  /** The test timeout for a property that sends `requests` requests or frames in all. */
  timeout(requests?: number): number;
}

/** The budget of the `properties` properties of `suite`, from this run's settings. */
export function suiteBudget(suite: Suite, properties: number): PropertyBudget {
  const settings = fuzzSettings();
  const runs = Math.max(
    MIN_RUNS_PER_PROPERTY,
    Math.floor((settings.runs * CI_RUNS_BY_SUITE[suite]) / CI_TOTAL_RUNS / properties),
  );
  return {
    settings,
    runs,
    parameters: (numRuns = runs) => ({
      seed: settings.seed,
      numRuns,
      verbose: settings.verbose,
      ...(settings.path ? { path: settings.path } : {}),
    }),
    timeout: (requests = runs) => Math.max(TIMEOUT_FLOOR_MS, requests * TIMEOUT_PER_RUN_MS),
  };
}
