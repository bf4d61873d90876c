// EstimatorDO: one per operation type (seed 001's main_build, metadata_generation, update).
// Keeps the durations of recent operations and estimates the next one from those of the same
// size, so check-sufficient can say how much AI time a build will likely take.

import * as v from "valibot";
import { clock } from "../shared/clock.ts";
import { ESTIMATE_SAMPLES_MAX } from "../shared/limits.ts";
import type { Estimate, ProjectSize } from "../shared/schemas/billing.ts";
import { ProjectSizeSchema } from "../shared/schemas/billing.ts";
import { Actor, type OutboxEnvelope } from "./actor.ts";
import { refusalsAsValues } from "./refusal.ts";

/** Samples behind a "high" and a "medium" confidence estimate; fewer is "low". */
const CONFIDENCE_SAMPLES = { high: 20, medium: 5 } as const;

const SampleSchema = v.object({
  seconds: v.pipe(v.number(), v.integer(), v.minValue(1)),
  project_size: v.nullable(ProjectSizeSchema),
  is_update: v.boolean(),
});

export type Sample = v.InferInput<typeof SampleSchema>;

export class EstimatorDO extends Actor {
  static override readonly migrations = [
    {
      name: "samples",
      sql: `CREATE TABLE samples (
              id INTEGER PRIMARY KEY AUTOINCREMENT,
              seconds INTEGER NOT NULL,
              project_size TEXT,
              is_update INTEGER NOT NULL,
              recorded_at INTEGER NOT NULL
            );`,
    },
  ];

  /** Outbox receiver: one consumed operation, recorded once. */
  record(envelope: OutboxEnvelope<Sample>): void {
    const sample = this.messageOf(envelope, SampleSchema);
    this.receiveOnce(envelope, () => {
      this.sql.exec(
        "INSERT INTO samples (seconds, project_size, is_update, recorded_at) VALUES (?, ?, ?, ?)",
        sample.seconds,
        sample.project_size,
        Number(sample.is_update),
        clock.now(),
      );
      this.sql.exec(
        "DELETE FROM samples WHERE id <= (SELECT MAX(id) FROM samples) - ?",
        ESTIMATE_SAMPLES_MAX,
      );
    });
  }

  /** The median of matching samples (size and update flag when given), or null with none. */
  estimate(projectSize?: ProjectSize, isUpdate?: boolean): Estimate | null {
    const seconds = this.sql
      .exec<{ seconds: number }>(
        `SELECT seconds FROM samples
         WHERE (?1 IS NULL OR project_size = ?1) AND (?2 IS NULL OR is_update = ?2)
         ORDER BY seconds`,
        projectSize ?? null,
        isUpdate === undefined ? null : Number(isUpdate),
      )
      .toArray()
      .map((row) => row.seconds);
    if (seconds.length === 0) return null;
    const middle = seconds.length / 2;
    const median = Number.isInteger(middle)
      ? Math.ceil(((seconds[middle - 1] ?? 0) + (seconds[middle] ?? 0)) / 2)
      : (seconds[Math.floor(middle)] ?? 0);
    return {
      estimatedSeconds: median,
      estimatedMinutes: Math.ceil(median / 60),
      confidence:
        seconds.length >= CONFIDENCE_SAMPLES.high
          ? "high"
          : seconds.length >= CONFIDENCE_SAMPLES.medium
            ? "medium"
            : "low",
      basedOnSamples: seconds.length,
    };
  }
}

refusalsAsValues<EstimatorDO, Actor>(EstimatorDO, { record: true, estimate: true });
