// Mapping between a creation's schedule rows, the scheduler's jobs and the wire shapes.

import type { Schedule, ScheduleFailure, ScheduleTarget } from "../../shared/schemas/schedule.ts";
import type { DeadLetter, ScheduledJob } from "../scheduler.ts";
import type { ScheduleRow } from "./schema.ts";

export const FIRE_SCHEDULE_TASK = "fireSchedule";
export const jobKey = (name: string) => `schedule:${name}`;

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

export function toSchedule(row: ScheduleRow, job: ScheduledJob | null): Schedule {
  return {
    name: row.name,
    cron: row.cron,
    at: iso(row.at),
    target: JSON.parse(row.target) as ScheduleTarget,
    payload: JSON.parse(row.payload),
    next_run_at: iso(job?.due_at ?? null),
    last_run_at: iso(row.last_run_at),
    last_status: row.last_status,
    last_error: row.last_error,
    attempts: row.attempts,
    runs: row.runs,
    created_at: new Date(row.created_at).toISOString(),
    updated_at: new Date(row.updated_at).toISOString(),
  };
}

export function toFailure(letter: DeadLetter): ScheduleFailure {
  const { name } = letter.payload as { name: string };
  return {
    name,
    scheduled_for: new Date(letter.occurrence_at).toISOString(),
    failed_at: new Date(letter.failed_at).toISOString(),
    attempts: letter.attempts,
    last_error: letter.last_error,
  };
}
