// Seed 001's view of a user wallet: AI time in seconds by bucket, usage, and whether an
// operation is affordable given an estimate and the purchasable packages.

import type { BillingPackage } from "../../shared/config.ts";
import type {
  BalanceResponse,
  Estimate,
  SufficientCheckResponse,
} from "../../shared/schemas/billing.ts";
import { iso, nextUtcMidnight, utcDayStart } from "../../shared/time.ts";
import type { Ledger } from "./ledger.ts";

/** Where the seed's purchase flow lives (handled by the platform's front end). */
const PURCHASE_URL = "/purchase";

export function billingView(ledger: Ledger, now: number): BalanceResponse {
  const byKind = { welcome: 0, daily: 0, bonus: 0, paid: 0 };
  for (const bucket of ledger.buckets(now)) byKind[bucket.kind] += bucket.remaining;
  const paid = byKind.paid + byKind.bonus;
  return {
    balance: {
      welcomeBonus: byKind.welcome,
      dailyGift: byKind.daily,
      paid,
      total: byKind.welcome + byKind.daily + paid,
    },
    usage: {
      todayUsed: ledger.spentSince(utcDayStart(now)),
      lifetimeUsed: ledger.spentSince(0),
    },
    dailyResetAt: iso(nextUtcMidnight(now)),
  };
}

/**
 * Affordable when the balance covers the estimate (or, with no samples yet, is positive).
 * Otherwise the smallest package covering the estimated minutes is recommended; the seed's
 * example gives the whole estimate in minutes as `costToComplete`.
 */
export function sufficiency(
  balance: BalanceResponse["balance"],
  estimate: Estimate | null,
  packages: readonly BillingPackage[],
): SufficientCheckResponse {
  const sufficient = estimate ? balance.total >= estimate.estimatedSeconds : balance.total > 0;
  if (sufficient) return { sufficient, estimate, balance };
  const minutes = estimate?.estimatedMinutes ?? 1;
  const suggested = packages.find((item) => item.minutes >= minutes) ?? packages.at(-1);
  return {
    sufficient,
    estimate,
    balance,
    recommendation: {
      suggestedPackage: suggested?.name ?? "",
      costToComplete: minutes,
      purchaseUrl: PURCHASE_URL,
    },
  };
}
