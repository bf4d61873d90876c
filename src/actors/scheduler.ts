// Any number of jobs on one actor's single alarm. Jobs live in SQLite; the alarm is always set
// to the earliest due job. Delivery is at-least-once: a failing job is retried with exponential
// backoff and, after its last attempt, moved to the dead letters; it never loops forever.

import * as v from "valibot";
import { clock } from "../shared/clock.ts";
import { nextCronRun } from "../shared/cron.ts";
import { ApiError } from "../shared/errors.ts";
import type { JsonValue } from "../shared/json.ts";
import {
  SCHEDULER_DEAD_LETTERS_MAX,
  SCHEDULER_ERROR_MAX_CHARS,
  SCHEDULER_JOBS_MAX,
  SCHEDULER_JOBS_PER_ALARM_MAX,
  SCHEDULER_MAX_ATTEMPTS,
  SCHEDULER_RETRY_BASE_MS,
  SCHEDULER_RETRY_MAX_DELAY_MS,
} from "../shared/limits.ts";

export interface JobContext {
  key: string;
  /** 1 for the first run of this occurrence, 2 for the first retry, … */
  attempt: number;
  /** When this occurrence was first due (ms); the same for all its retries. */
  occurrenceAt: number;
}

type TaskRun<S extends v.GenericSchema> = (
  payload: v.InferOutput<S>,
  job: JobContext,
) => unknown | Promise<unknown>;

interface RetryPolicy {
  /** Overrides SCHEDULER_MAX_ATTEMPTS for this task. */
  maxAttempts?: number;
  /** Overrides SCHEDULER_RETRY_BASE_MS for this task. */
  retryBaseMs?: number;
}

/** A named task: the registry keeps the schema, and the handler only ever sees parsed input. */
export interface TaskDefinition extends RetryPolicy {
  schema: v.GenericSchema;
  run: (payload: unknown, job: JobContext) => unknown | Promise<unknown>;
}

/** Declares a named task; jobs store the name and a payload the schema checks on every run. */
export function task<S extends v.GenericSchema>(
  schema: S,
  run: TaskRun<S>,
  retry: RetryPolicy = {},
): TaskDefinition {
  // Safe to widen: Scheduler calls run only with the output of v.parse(schema, …).
  return { schema, run: run as TaskDefinition["run"], ...retry };
}

export type TaskRegistry = Record<string, TaskDefinition>;

export type ScheduleRequest = {
  key: string;
  task: string;
  payload?: JsonValue;
} & ({ at: number | Date } | { delayMs: number } | { cron: string });

export interface ScheduledJob {
  key: string;
  task: string;
  payload: JsonValue;
  cron: string | null;
  /** When the job runs next: the occurrence itself or its next retry. */
  due_at: number;
  /** When the current occurrence was first due. */
  occurrence_at: number;
  attempts: number;
  last_run_at: number | null;
  last_status: "ok" | "error" | null;
  last_error: string | null;
}

export interface DeadLetter {
  id: number;
  key: string;
  task: string;
  payload: JsonValue;
  cron: string | null;
  occurrence_at: number;
  attempts: number;
  last_error: string;
  failed_at: number;
}

/** What happened to one run, reported to the actor inside the same transaction. */
export interface JobOutcome {
  key: string;
  task: string;
  payload: JsonValue;
  occurrenceAt: number;
  status: "ok" | "retrying" | "dead";
  attempts: number;
  error: string | null;
  ranAt: number;
  /** When the job runs next (a retry or the next cron occurrence), or null if it is gone. */
  nextDueAt: number | null;
}

type JobRow = Omit<ScheduledJob, "payload"> & { id: number; payload: string };

export class Scheduler {
  /** Keys ensure() has seen scheduled (see there). */
  private readonly ensured = new Set<string>();

  constructor(
    private readonly storage: DurableObjectStorage,
    private readonly lookup: (name: string) => TaskDefinition | undefined,
    private readonly onOutcome: (outcome: JobOutcome) => void,
    /** Default first-retry delay for tasks that do not set their own. */
    private readonly retryBaseMs = SCHEDULER_RETRY_BASE_MS,
  ) {}

  /** Adds a job, or replaces the job with the same key. Returns its due time (ms). */
  schedule(request: ScheduleRequest, now = clock.now()): number {
    const definition = this.lookup(request.task);
    if (!definition) throw new Error(`No task named "${request.task}" is registered.`);
    const payload = v.parse(definition.schema, request.payload ?? null);
    const cron = "cron" in request ? request.cron : null;
    const dueAt = firstDueAt(request, now);
    const sql = this.storage.sql;
    this.storage.transactionSync(() => {
      sql.exec("DELETE FROM _troupe_jobs WHERE key = ?", request.key);
      const { count } = sql
        .exec<{ count: number }>("SELECT COUNT(*) AS count FROM _troupe_jobs")
        .one();
      if (count >= SCHEDULER_JOBS_MAX) {
        throw new ApiError(
          "SCHEDULER_FULL",
          `This actor already holds ${SCHEDULER_JOBS_MAX} scheduled jobs; cancel some first.`,
          { limit: SCHEDULER_JOBS_MAX },
        );
      }
      sql.exec(
        `INSERT INTO _troupe_jobs (key, task, payload, cron, due_at, occurrence_at, created_at)
         VALUES (?, ?, ?, ?, ?, ?, ?)`,
        request.key,
        request.task,
        JSON.stringify(payload),
        cron,
        dueAt,
        dueAt,
        now,
      );
    });
    this.arm();
    return dueAt;
  }

  /** Removes a job; returns whether there was one. */
  /**
   * Schedules `request` unless a job with its key exists. Remembered in memory once done, so a
   * hot path (every idempotent write, every received message) asks SQLite once per actor life.
   */
  ensure(request: ScheduleRequest): void {
    if (this.ensured.has(request.key)) return;
    if (!this.get(request.key)) this.schedule(request);
    this.ensured.add(request.key);
  }

  cancel(key: string): boolean {
    this.ensured.delete(key);
    const removed = this.storage.sql.exec(
      "DELETE FROM _troupe_jobs WHERE key = ?",
      key,
    ).rowsWritten;
    this.arm();
    return removed > 0;
  }

  get(key: string): ScheduledJob | null {
    const row = this.storage.sql
      .exec<JobRow>("SELECT * FROM _troupe_jobs WHERE key = ?", key)
      .toArray()[0];
    return row ? toJob(row) : null;
  }

  list(): ScheduledJob[] {
    return this.storage.sql
      .exec<JobRow>("SELECT * FROM _troupe_jobs ORDER BY due_at, id")
      .toArray()
      .map(toJob);
  }

  deadLetters(): DeadLetter[] {
    return this.storage.sql
      .exec<Omit<DeadLetter, "payload"> & { payload: string }>(
        "SELECT * FROM _troupe_dead_letters ORDER BY id",
      )
      .toArray()
      .map((row) => ({ ...row, payload: JSON.parse(row.payload) }));
  }

  /** Runs every due job in due order, then re-arms the alarm for the earliest remaining one. */
  async runDue(now = clock.now()): Promise<number> {
    const due = this.storage.sql
      .exec<JobRow>(
        "SELECT * FROM _troupe_jobs WHERE due_at <= ? ORDER BY due_at, id LIMIT ?",
        now,
        SCHEDULER_JOBS_PER_ALARM_MAX,
      )
      .toArray();
    for (const row of due) await this.runOne(row);
    this.arm();
    return due.length;
  }

  private async runOne(row: JobRow): Promise<void> {
    const definition = this.lookup(row.task);
    let error: string | null = null;
    try {
      if (!definition) throw new Error(`No task named "${row.task}" is registered.`);
      const payload = v.parse(definition.schema, JSON.parse(row.payload));
      await definition.run(payload, {
        key: row.key,
        attempt: row.attempts + 1,
        occurrenceAt: row.occurrence_at,
      });
    } catch (caught) {
      error = describe(caught);
    }
    this.settle(row, definition, error, clock.now());
  }

  private settle(
    row: JobRow,
    definition: TaskDefinition | undefined,
    error: string | null,
    now: number,
  ) {
    const sql = this.storage.sql;
    this.storage.transactionSync(() => {
      // The job may have been cancelled or replaced (same key, new id) while it ran.
      if (sql.exec("SELECT id FROM _troupe_jobs WHERE id = ?", row.id).toArray().length === 0)
        return;
      const attempts = row.attempts + 1;
      const maxAttempts = definition?.maxAttempts ?? SCHEDULER_MAX_ATTEMPTS;
      const status = error === null ? "ok" : attempts >= maxAttempts ? "dead" : "retrying";
      let nextDueAt: number | null;
      if (status === "retrying") {
        nextDueAt = now + retryDelayMs(attempts, definition?.retryBaseMs ?? this.retryBaseMs);
        sql.exec(
          "UPDATE _troupe_jobs SET due_at = ?, attempts = ?, last_run_at = ?, last_status = 'error', last_error = ? WHERE id = ?",
          nextDueAt,
          attempts,
          now,
          error,
          row.id,
        );
      } else {
        if (status === "dead") this.bury(row, attempts, error ?? "", now);
        // A cron job starts each occurrence afresh, whether the last one succeeded or died;
        // the next occurrence comes from the expression, never from adding an interval.
        nextDueAt = row.cron ? nextCronRun(row.cron, Math.max(now, row.occurrence_at)) : null;
        if (nextDueAt === null) {
          sql.exec("DELETE FROM _troupe_jobs WHERE id = ?", row.id);
        } else {
          sql.exec(
            "UPDATE _troupe_jobs SET due_at = ?, occurrence_at = ?, attempts = 0, last_run_at = ?, last_status = ?, last_error = ? WHERE id = ?",
            nextDueAt,
            nextDueAt,
            now,
            error === null ? "ok" : "error",
            error,
            row.id,
          );
        }
      }
      this.onOutcome({
        key: row.key,
        task: row.task,
        payload: JSON.parse(row.payload),
        occurrenceAt: row.occurrence_at,
        status,
        attempts,
        error,
        ranAt: now,
        nextDueAt,
      });
    });
  }

  private bury(row: JobRow, attempts: number, error: string, now: number) {
    const sql = this.storage.sql;
    sql.exec(
      `INSERT INTO _troupe_dead_letters (key, task, payload, cron, occurrence_at, attempts, last_error, failed_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
      row.key,
      row.task,
      row.payload,
      row.cron,
      row.occurrence_at,
      attempts,
      error,
      now,
    );
    sql.exec(
      "DELETE FROM _troupe_dead_letters WHERE id <= (SELECT MAX(id) FROM _troupe_dead_letters) - ?",
      SCHEDULER_DEAD_LETTERS_MAX,
    );
  }

  /** Points the actor's one alarm at the earliest due job, or clears it when there is none. */
  private arm(): void {
    const { next } = this.storage.sql
      .exec<{ next: number | null }>("SELECT MIN(due_at) AS next FROM _troupe_jobs")
      .one();
    if (next === null) void this.storage.deleteAlarm();
    else void this.storage.setAlarm(clock.realTimeOf(next));
  }
}

function firstDueAt(request: ScheduleRequest, now: number): number {
  if ("at" in request) return request.at instanceof Date ? request.at.getTime() : request.at;
  if ("delayMs" in request) return now + Math.max(0, request.delayMs);
  const next = nextCronRun(request.cron, now);
  if (next === null) throw new Error(`The cron expression "${request.cron}" never fires.`);
  return next;
}

/** Exponential backoff: base, 2×base, 4×base, … capped at SCHEDULER_RETRY_MAX_DELAY_MS. */
export function retryDelayMs(failedAttempts: number, baseMs: number): number {
  return Math.min(SCHEDULER_RETRY_MAX_DELAY_MS, baseMs * 2 ** (failedAttempts - 1));
}

function toJob({ id: _id, payload, ...row }: JobRow): ScheduledJob {
  return { ...row, payload: JSON.parse(payload) };
}

function describe(error: unknown): string {
  const text = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  return text.slice(0, SCHEDULER_ERROR_MAX_CHARS);
}
