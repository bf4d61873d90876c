// Shared steps of the metering tests: a creation with tiers, keys, and track calls.

import { expect } from "vitest";
import { clock, setTestClock } from "../src/shared/clock.ts";
import {
  api,
  asCreation,
  bearer,
  type CreatedCreation,
  createCreation,
  jsonInit,
} from "./helpers.ts";

export interface UsageBody {
  count: number;
  limit: number | null;
  remaining: number | null;
  plan: string;
  periodStart: string;
  periodEnd: string;
}

export const usagePath = (creationId: string) => `/v1/creations/${creationId}/usage`;

export async function meteredCreation(
  owner: string,
  tiers?: Record<string, unknown>[],
): Promise<CreatedCreation> {
  const creation = await createCreation(owner);
  if (tiers) {
    const response = await api(
      `/v1/creations/${creation.id}/tiers`,
      jsonInit("PUT", { tiers }, await bearer({ sub: owner })),
    );
    expect(response.status).toBe(200);
  }
  return creation;
}

export function track(
  creationId: string,
  headers: Record<string, string>,
  body: Record<string, unknown>,
): Promise<Response> {
  return api(`${usagePath(creationId)}/track`, jsonInit("POST", body, headers));
}

export async function trackAs(creation: CreatedCreation, body: Record<string, unknown>) {
  return track(creation.id, asCreation(creation.token), body);
}

export async function usageOf(creation: CreatedCreation, userId: string, query = "") {
  const response = await api(`${usagePath(creation.id)}/${userId}${query}`, {
    headers: asCreation(creation.token),
  });
  expect(response.status).toBe(200);
  return ((await response.json()) as { usage: UsageBody }).usage;
}

export async function createKey(
  creationId: string,
  owner: string,
  body: Record<string, unknown>,
): Promise<{ id: string; key: string }> {
  const response = await api(
    `/v1/creations/${creationId}/keys`,
    jsonInit("POST", body, await bearer({ sub: owner })),
  );
  expect(response.status).toBe(201);
  return (await response.json()) as { id: string; key: string };
}

/** Moves the clock to one second into the next UTC minute, so a burst of calls (seconds long)
 *  stays inside one rate window; returns when that window ends. */
export function startOfAMinute(): number {
  const next = Math.ceil(clock.now() / 60_000) * 60_000;
  setTestClock(next + 1_000);
  return next + 60_000;
}
