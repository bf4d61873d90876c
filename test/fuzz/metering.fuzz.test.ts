// Property-based fuzzing of usage metering under concurrency: random tiers, and random bursts
// of track calls for a few users (random quantities, idempotency keys reused or not) sent all
// at once against one creation. After every burst:
//   - every answer is 200 or 403 TIER_LIMIT_REACHED, never anything else;
//   - no answer and no stored count ever exceeds the tier's limit;
//   - each user's stored count is exactly the sum of the quantities the 200s counted, each
//     idempotency key counted once, and every answer sharing a key is the same answer;
//   - a 403 was right to refuse: its usageCount plus the call's quantity exceeds the limit;
//   - the month's summary adds up to the users' counts.

import * as fc from "fast-check";
import { describe, expect, it } from "vitest";
import { api, asCreation } from "../helpers.ts";
import { meteredCreation, trackAs, type UsageBody, usageOf, usagePath } from "../usage-helpers.ts";
import { suiteBudget } from "./settings.ts";

const budget = suiteBudget("metering", 1);
/** The most calls one burst sends at once. */
const BURST_MAX = 30;

/** A call; a keyed one always sends its key's quantity (k3 counts 3), as a retry would: the
 *  same key with another quantity is a 422, tested in test/usage.test.ts. */
const call = fc.oneof(
  fc.record({
    user: fc.constantFrom("ann", "bob", "cy"),
    quantity: fc.integer({ min: 1, max: 4 }),
    key: fc.constant(undefined),
  }),
  fc
    .record({ user: fc.constantFrom("ann", "bob", "cy"), n: fc.integer({ min: 1, max: 4 }) })
    .map(({ user, n }) => ({ user, quantity: n, key: `k${n}` as string | undefined })),
);

interface Answer {
  user: string;
  quantity: number;
  key: string | undefined;
  status: number;
  body: Record<string, unknown>;
}

describe("metering under concurrent bursts", () => {
  it(
    "never overshoots a limit and counts each idempotency key once",
    async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.integer({ min: 1, max: 20 }),
          fc.array(call, { minLength: 1, maxLength: BURST_MAX }),
          async (limit, calls) => {
            // A fresh creation per case, on tiers set for it.
            const creation = await meteredCreation("fuzz-meter-owner", [
              { id: "t", name: "T", price: 0, limit, rate_limit_per_minute: 1_000_000 },
            ]);
            const userOf = (user: string) => user;
            const answers: Answer[] = await Promise.all(
              calls.map(async ({ user, quantity, key }) => {
                const response = await trackAs(creation, {
                  user_id: userOf(user),
                  quantity,
                  ...(key ? { idempotency_key: `${user}-${key}` } : {}),
                });
                const body = (await response.json()) as Record<string, unknown>;
                return { user, quantity, key, status: response.status, body };
              }),
            );
            const counted = new Map<string, number>();
            const byKey = new Map<string, Answer[]>();
            for (const answer of answers) {
              if (answer.status === 403) {
                expect(answer.body.code).toBe("TIER_LIMIT_REACHED");
                expect((answer.body.usageCount as number) + answer.quantity).toBeGreaterThan(limit);
                continue;
              }
              expect(answer.status).toBe(200);
              const usage = answer.body.usage as UsageBody;
              expect(usage.count).toBeLessThanOrEqual(limit);
              expect(usage.remaining).toBe(limit - usage.count);
              if (answer.key) {
                const group = `${answer.user}/${answer.key}`;
                byKey.set(group, [...(byKey.get(group) ?? []), answer]);
              } else {
                counted.set(answer.user, (counted.get(answer.user) ?? 0) + answer.quantity);
              }
            }
            for (const [group, same] of byKey) {
              const first = same[0] as Answer;
              for (const other of same) expect(other.body).toEqual(first.body);
              const user = group.split("/")[0] as string;
              counted.set(user, (counted.get(user) ?? 0) + first.quantity);
            }
            let total = 0;
            for (const user of ["ann", "bob", "cy"]) {
              const stored = (await usageOf(creation, userOf(user))).count;
              expect(stored, user).toBe(counted.get(user) ?? 0);
              expect(stored).toBeLessThanOrEqual(limit);
              total += stored;
            }
            const summary = await api(usagePath(creation.id), {
              headers: asCreation(creation.token),
            });
            const { total: summed } = (await summary.json()) as { total: number };
            expect(summed).toBe(total);
          },
        ),
        budget.parameters(),
      );
    },
    budget.timeout(budget.runs * BURST_MAX),
  );
});
