// Walks the creations projection a batch per run and makes each row agree with its actor:
// rows whose write was lost are rewritten, rows of creations that no longer exist are removed.
// The cursor wraps around, so every row is checked again after a full pass.

import {
  deleteCreationProjection,
  projectedCreationsAfter,
  replaceCreationProjection,
} from "../projections/creations.ts";
import { RECONCILE_BATCH_SIZE } from "../shared/limits.ts";
import { readJobCursor, writeJobCursor } from "./cursors.ts";

export const RECONCILE_CREATIONS_JOB = "reconcile-creations";

export interface ReconcileReport {
  checked: number;
  repaired: number;
  removed: number;
  /** Where the next run starts; "" after the last batch of a pass. */
  cursor: string;
}

export async function reconcileCreations(
  env: Env,
  batchSize = RECONCILE_BATCH_SIZE,
): Promise<ReconcileReport> {
  const after = await readJobCursor(env.DB, RECONCILE_CREATIONS_JOB);
  const rows = await projectedCreationsAfter(env.DB, after, batchSize);
  const outcomes = await Promise.all(
    rows.map(async ({ id, revision }) => {
      const truth = await env.CREATION.getByName(id).projection();
      if (!truth) {
        await deleteCreationProjection(env.DB, id);
        return "removed";
      }
      if (truth.revision === revision) return "ok";
      await replaceCreationProjection(env.DB, truth);
      return "repaired";
    }),
  );
  const cursor = rows.length < batchSize ? "" : (rows[rows.length - 1]?.id ?? "");
  await writeJobCursor(env.DB, RECONCILE_CREATIONS_JOB, cursor);
  return {
    checked: rows.length,
    repaired: outcomes.filter((o) => o === "repaired").length,
    removed: outcomes.filter((o) => o === "removed").length,
    cursor,
  };
}
