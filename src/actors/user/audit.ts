// The quota over a user's names: which the plan leaves active (the oldest claims), and the
// audit that checks the index against each name's own actor (RPC, for operators and tests).

import { clock } from "../../shared/clock.ts";
import { CLAIM_REPAIR_DELAY_MS } from "../../shared/limits.ts";
import { actorByName } from "../refusal.ts";
import type { OwnedRow } from "./schema.ts";

export interface UserAudit {
  ok: boolean;
  owned: number;
  pending: number;
  limit: number | null;
  problems: string[];
}

export async function auditIndex(
  env: Env,
  userId: string,
  rows: readonly OwnedRow[],
  limit: number | null,
): Promise<UserAudit> {
  const problems: string[] = [];
  const now = clock.now();
  await Promise.all(
    rows.map(async (row) => {
      const truth = await actorByName(env.SUBDOMAIN, row.name).ownerOf();
      const ours = truth.owner_id === userId && truth.reservation_id === row.reservation_id;
      if (row.state === "owned" && !ours)
        problems.push(`${row.name}: indexed as owned, held by ${truth.owner_id}`);
      if (row.state === "pending" && now - row.reserved_at > 2 * CLAIM_REPAIR_DELAY_MS) {
        problems.push(`${row.name}: reservation never settled`);
      }
    }),
  );
  const active = rows.filter((row) => row.state === "owned" && row.frozen === 0).length;
  if (limit !== null && active > limit)
    problems.push(`${active} active names over a limit of ${limit}`);
  return {
    ok: problems.length === 0,
    owned: rows.filter((row) => row.state === "owned").length,
    pending: rows.filter((row) => row.state === "pending").length,
    limit,
    problems,
  };
}

/** Each owned name and whether the quota freezes it: the oldest `limit` claims stay active. */
export function quotaPlan(
  rows: readonly OwnedRow[],
  limit: number | null,
): { row: OwnedRow; frozen: boolean }[] {
  return rows
    .filter((row) => row.state === "owned")
    .sort((a, b) => (a.claimed_at ?? 0) - (b.claimed_at ?? 0) || a.name.localeCompare(b.name))
    .map((row, index) => ({ row, frozen: limit !== null && index >= limit }));
}
