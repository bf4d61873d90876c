// What happens when a creation's schedule comes due: the occurrence is posted into one of its
// rooms or delivered as a signed webhook, and the outcome is written back to the schedule's row.

import type { ScheduleTarget } from "../../shared/schemas/schedule.ts";
import type { JobContext, JobOutcome } from "../actor.ts";
import { actorByName } from "../refusal.ts";
import type { CreationRow, ScheduleRow } from "./schema.ts";
import { postScheduleEvent } from "./webhook.ts";

export async function deliverSchedule(
  env: Env,
  creation: CreationRow,
  schedule: ScheduleRow,
  job: JobContext,
): Promise<void> {
  const target = JSON.parse(schedule.target) as ScheduleTarget;
  const payload = JSON.parse(schedule.payload);
  const scheduledFor = new Date(job.occurrenceAt).toISOString();
  if (target.type === "room") {
    // Posted into the room like a REST server message; every connection gets it.
    await actorByName(env.ROOM, `${creation.id}:${target.room}`).serverMessage({
      schedule: schedule.name,
      scheduled_for: scheduledFor,
      message: target.message,
      payload,
    });
    return;
  }
  const url = target.url ?? creation.webhook_url;
  if (!url) throw new Error("the schedule has no target.url and the creation no webhook_url");
  await postScheduleEvent(url, creation.webhook_secret, {
    type: "schedule.fired",
    id: `${creation.id}:${schedule.name}:${job.occurrenceAt}`,
    creation_id: creation.id,
    schedule: schedule.name,
    scheduled_for: scheduledFor,
    attempt: job.attempt,
    payload,
  });
}

/** Writes how an occurrence went (ok, retrying, failed after the last attempt) to its row. */
export function recordScheduleOutcome(sql: SqlStorage, name: string, outcome: JobOutcome): void {
  const status = { ok: "ok", retrying: "retrying", dead: "failed" }[outcome.status];
  sql.exec(
    `UPDATE schedules SET last_run_at = ?, last_status = ?, last_error = ?, attempts = ?,
       runs = runs + ? WHERE name = ?`,
    outcome.ranAt,
    status,
    outcome.error,
    outcome.status === "ok" ? 0 : outcome.attempts,
    outcome.status === "ok" ? 1 : 0,
    name,
  );
}
