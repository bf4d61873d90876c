import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { Principal } from "../src/shared/schemas/principal.ts";
import { userWallet } from "./wallet-helpers.ts";

const PLATFORM: Principal = { type: "service", id: "platform", secret_index: 0 };
const START = 3000 + 900; // welcome grant + today's gift

type Op =
  | { op: "deposit"; amount: number }
  | { op: "spend"; amount: number }
  | { op: "hold"; amount: number }
  | { op: "capture"; pick: number; part: number }
  | { op: "release"; pick: number }
  | { op: "refund"; pick: number; part: number };

const amount = fc.integer({ min: 1, max: 2500 });
const pick = fc.nat({ max: 50 });
const part = fc.double({ min: 0, max: 1, noNaN: true });
const operation: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ op: fc.constant("deposit" as const), amount }),
  fc.record({ op: fc.constant("spend" as const), amount }),
  fc.record({ op: fc.constant("hold" as const), amount }),
  fc.record({ op: fc.constant("capture" as const), pick, part }),
  fc.record({ op: fc.constant("release" as const), pick }),
  fc.record({ op: fc.constant("refund" as const), pick, part }),
);

const codeOf = (error: unknown) => (error as { code?: string }).code;

let run = 0;

describe("wallet properties", () => {
  it("keeps audit() clean and the balance equal to a simple model for any sequence of operations", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(operation, { minLength: 1, maxLength: 25 }), async (ops) => {
        const name = `user:prop-${run++}`;
        const wallet = userWallet(name.slice(5));
        await wallet.view(name, PLATFORM); // opens it with the welcome grant and today's gift
        let balance = START;
        const holds: { id: string; amount: number }[] = [];
        const spends: { id: string; amount: number }[] = [];
        for (const step of ops) {
          try {
            if (step.op === "deposit") {
              await wallet.deposit(name, PLATFORM, { amount: step.amount });
              balance += step.amount;
            } else if (step.op === "spend") {
              const { body } = await wallet.spend(name, PLATFORM, {
                amount: step.amount,
                type: "t",
              });
              spends.push({ id: body.transaction.id, amount: step.amount });
              balance -= step.amount;
            } else if (step.op === "hold") {
              const { body } = await wallet.hold(name, PLATFORM, {
                amount: step.amount,
                ttl_seconds: 3600,
              });
              holds.push({ id: body.hold.id, amount: step.amount });
              balance -= step.amount;
            } else if (step.op === "capture" || step.op === "release") {
              const hold = holds[step.pick % Math.max(1, holds.length)];
              if (!hold) continue;
              if (step.op === "release") {
                await wallet.release(name, PLATFORM, hold.id);
                balance += hold.amount;
              } else {
                const kept = Math.max(1, Math.floor(hold.amount * step.part));
                const { body } = await wallet.capture(name, PLATFORM, hold.id, { amount: kept });
                spends.push({ id: body.transaction.id, amount: kept });
                balance += hold.amount - kept;
              }
              holds.splice(holds.indexOf(hold), 1);
            } else {
              const spend = spends[step.pick % Math.max(1, spends.length)];
              if (!spend) continue;
              const back = Math.max(1, Math.floor(spend.amount * step.part));
              await wallet.refund(name, PLATFORM, { transaction_id: spend.id, amount: back });
              spends.splice(spends.indexOf(spend), 1);
              balance += back;
            }
          } catch (error) {
            // The only refusals a valid sequence can meet: not enough money.
            expect(codeOf(error)).toBe("INSUFFICIENT_CREDITS");
          }
        }
        const audit = await wallet.audit();
        expect(audit.problems).toEqual([]);
        expect(audit.balance).toBe(balance);
        expect(audit.held).toBe(holds.reduce((sum, hold) => sum + hold.amount, 0));
        // Held money has left the buckets; what they hold is what can be spent.
        expect(audit.buckets_total).toBe(balance);
      }),
      { numRuns: 40 },
    );
  });
});
