// A D1 projection kept by an actor: after each change the actor schedules one write of its
// current projection under a fixed job key, so a burst of changes is one D1 write, and a
// failed write is retried by the scheduler. D1 is never read to decide anything.

import * as v from "valibot";
import { type TaskDefinition, task } from "./scheduler.ts";

export const PROJECTION_TASK = "project";
const PROJECTION_JOB_KEY = "projection";

/** The task that writes `read()` (when the actor holds anything) with `write`. */
export function projectionTask<P>(
  read: () => P | null,
  write: (projection: P) => Promise<unknown>,
): TaskDefinition {
  return task(v.null(), async () => {
    const projection = read();
    if (projection !== null) await write(projection);
  });
}

/** The job that runs the projection task now (replacing one not yet run). */
export const projectionJob = {
  key: PROJECTION_JOB_KEY,
  task: PROJECTION_TASK,
  delayMs: 0,
} as const;
