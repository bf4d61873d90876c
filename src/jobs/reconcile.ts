// Walks a D1 projection a batch per run and makes each row agree with its actor: rows whose
// write was lost are rewritten, rows whose actor has nothing any more are removed. The cursor
// wraps around, so every row is checked again after a full pass.

import { RECONCILE_BATCH_SIZE } from "../shared/limits.ts";
import { readJobCursor, writeJobCursor } from "./cursors.ts";

/** One projection: how to page its keys, ask the actor for the truth, and fix a row. */
export interface ProjectionSource<T extends { revision: number }> {
  job: string;
  keysAfter(
    db: D1Database,
    after: string,
    limit: number,
  ): Promise<{ key: string; revision: number }[]>;
  truth(env: Env, key: string): Promise<T | null>;
  replace(db: D1Database, row: T): Promise<void>;
  remove(db: D1Database, key: string): Promise<void>;
}

export interface ReconcileReport {
  checked: number;
  repaired: number;
  removed: number;
  /** Where the next run starts; "" after the last batch of a pass. */
  cursor: string;
}

export async function reconcile<T extends { revision: number }>(
  env: Env,
  source: ProjectionSource<T>,
  batchSize = RECONCILE_BATCH_SIZE,
): Promise<ReconcileReport> {
  const after = await readJobCursor(env.DB, source.job);
  const rows = await source.keysAfter(env.DB, after, batchSize);
  const outcomes = await Promise.all(
    rows.map(async ({ key, revision }) => {
      const truth = await source.truth(env, key);
      if (!truth) {
        await source.remove(env.DB, key);
        return "removed";
      }
      if (truth.revision === revision) return "ok";
      await source.replace(env.DB, truth);
      return "repaired";
    }),
  );
  const cursor = rows.length < batchSize ? "" : (rows.at(-1)?.key ?? "");
  await writeJobCursor(env.DB, source.job, cursor);
  return {
    checked: rows.length,
    repaired: outcomes.filter((o) => o === "repaired").length,
    removed: outcomes.filter((o) => o === "removed").length,
    cursor,
  };
}
