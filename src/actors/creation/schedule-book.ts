// A creation's schedules: a row each in its `schedules` table plus one job on the actor's
// scheduler, changed together in one transaction. CreationDO checks who may call; this keeps
// the rules (timing, targets, the per-creation limit) and the storage.

import * as v from "valibot";
import { clock } from "../../shared/clock.ts";
import { ApiError } from "../../shared/errors.ts";
import { CREATION_SCHEDULES_MAX } from "../../shared/limits.ts";
import {
  type PutSchedule,
  PutScheduleSchema,
  type Schedule,
  type ScheduleFailure,
  ScheduleNameSchema,
} from "../../shared/schemas/schedule.ts";
import type {
  DeadLetter,
  JobContext,
  JobOutcome,
  ScheduledJob,
  ScheduleRequest,
} from "../scheduler.ts";
import { deliverSchedule, recordScheduleOutcome } from "./schedule-delivery.ts";
import { checkWebhookUrl, resolveTiming, serializePayload } from "./schedule-rules.ts";
import { FIRE_SCHEDULE_TASK, jobKey, toFailure, toSchedule } from "./schedules.ts";
import type { CreationRow, ScheduleRow } from "./schema.ts";

export interface ScheduleBookHost {
  storage: DurableObjectStorage;
  schedule(request: ScheduleRequest): number;
  cancel(key: string): boolean;
  job(key: string): ScheduledJob | null;
  /** ALLOW_LOCALHOST_WEBHOOKS: development only. */
  localhostAllowed: boolean;
}

export class ScheduleBook {
  constructor(private readonly host: ScheduleBookHost) {}

  /** Creates or replaces a schedule; `created` tells which. */
  put(
    name: string,
    input: PutSchedule,
    creationWebhookUrl: string | null,
  ): { created: boolean; schedule: Schedule } {
    v.parse(ScheduleNameSchema, name);
    const spec = v.parse(PutScheduleSchema, input);
    const now = clock.now();
    const timing = resolveTiming(spec, now);
    if (spec.target.type === "webhook" && spec.target.url) {
      checkWebhookUrl(spec.target.url, this.host.localhostAllowed);
    } else if (spec.target.type === "webhook" && !creationWebhookUrl) {
      throw new ApiError(
        "INVALID_WEBHOOK_URL",
        "Give target.url or set the creation's webhook_url first.",
      );
    }
    const payload = serializePayload(spec.payload);
    const existing = this.row(name);
    if (!existing && this.count() >= CREATION_SCHEDULES_MAX) {
      throw new ApiError(
        "SCHEDULE_LIMIT_REACHED",
        `A creation may hold ${CREATION_SCHEDULES_MAX} schedules.`,
        { limit: CREATION_SCHEDULES_MAX },
      );
    }
    this.host.storage.transactionSync(() => {
      this.host.storage.sql.exec(
        `INSERT INTO schedules (name, cron, at, target, payload, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (name) DO UPDATE SET cron = excluded.cron, at = excluded.at, target = excluded.target,
           payload = excluded.payload, last_status = NULL, last_error = NULL, attempts = 0, updated_at = excluded.updated_at`,
        name,
        timing.cron,
        timing.atMs,
        JSON.stringify(spec.target),
        payload,
        now,
        now,
      );
      const job = { key: jobKey(name), task: FIRE_SCHEDULE_TASK, payload: { name } };
      this.host.schedule(
        timing.cron !== null ? { ...job, cron: timing.cron } : { ...job, at: timing.atMs },
      );
    });
    return { created: !existing, schedule: this.view(this.row(name) as ScheduleRow) };
  }

  list(): Schedule[] {
    return this.host.storage.sql
      .exec<ScheduleRow>("SELECT * FROM schedules ORDER BY name")
      .toArray()
      .map((row) => this.view(row));
  }

  delete(name: string): void {
    if (!this.row(name)) throw new ApiError("SCHEDULE_NOT_FOUND", `No schedule named "${name}".`);
    this.host.storage.transactionSync(() => {
      this.host.storage.sql.exec("DELETE FROM schedules WHERE name = ?", name);
      this.host.cancel(jobKey(name));
    });
  }

  /** The schedule job: delivers an occurrence, unless the schedule was deleted meanwhile. */
  async fire(env: Env, creation: CreationRow, name: string, job: JobContext): Promise<void> {
    const schedule = this.row(name);
    if (schedule) await deliverSchedule(env, creation, schedule, job);
  }

  /** Occurrences whose delivery failed every attempt, oldest first. */
  failures(deadLetters: readonly DeadLetter[]): ScheduleFailure[] {
    return deadLetters.filter((letter) => letter.task === FIRE_SCHEDULE_TASK).map(toFailure);
  }

  recordOutcome(outcome: JobOutcome): void {
    recordScheduleOutcome(
      this.host.storage.sql,
      (outcome.payload as { name: string }).name,
      outcome,
    );
  }

  row(name: string): ScheduleRow | null {
    return (
      this.host.storage.sql
        .exec<ScheduleRow>("SELECT * FROM schedules WHERE name = ?", name)
        .toArray()[0] ?? null
    );
  }

  private count(): number {
    return this.host.storage.sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM schedules").one().n;
  }

  private view(row: ScheduleRow): Schedule {
    return toSchedule(row, this.host.job(jobKey(row.name)));
  }
}
