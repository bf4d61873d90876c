// CreationDO: one per creation. Owns the creation's owner and settings, the version counter
// behind its `rct_` tokens, its webhook secret, and its schedules (jobs on this actor's alarm).

import * as v from "valibot";
import { type CreationProjection, writeCreationProjection } from "../../projections/creations.ts";
import { clock } from "../../shared/clock.ts";
import { ApiError } from "../../shared/errors.ts";
import { canonicalJson } from "../../shared/json.ts";
import { CREATION_SCHEDULES_MAX, CREATION_WEBHOOK_RETRY_BASE_MS } from "../../shared/limits.ts";
import {
  CreateCreationSchema,
  type CreatedCreation,
  type Creation,
  CreationIdSchema,
  type UpdateCreation,
  UpdateCreationSchema,
} from "../../shared/schemas/creation.ts";
import type { Principal } from "../../shared/schemas/principal.ts";
import {
  type PutSchedule,
  PutScheduleSchema,
  type Schedule,
  type ScheduleFailure,
  ScheduleNameSchema,
  type ScheduleTarget,
} from "../../shared/schemas/schedule.ts";
import { mintCreationToken, newWebhookSecret } from "../../shared/tokens.ts";
import { authorize, type Owned } from "../access.ts";
import { Actor, type JobContext, type JobOutcome, task } from "../actor.ts";
import { PROJECTION_TASK, projectionJob, projectionTask } from "../projection.ts";
import { actorByName, refusalsAsValues } from "../refusal.ts";
import { Serial } from "../serial.ts";
import { creationAccount } from "../wallet/account.ts";
import { checkWebhookUrl, resolveTiming, serializePayload } from "./schedule-rules.ts";
import { FIRE_SCHEDULE_TASK, jobKey, toFailure, toSchedule } from "./schedules.ts";
import { CREATION_MIGRATIONS, type CreationRow, type ScheduleRow } from "./schema.ts";
import { postScheduleEvent } from "./webhook.ts";

const InitializeSchema = v.object({
  id: CreationIdSchema,
  owner: v.string(),
  ...CreateCreationSchema.entries,
  /** Set when the id was derived from an Idempotency-Key: a retry gets the first answer. */
  idempotency_key: v.optional(v.string()),
});

export class CreationDO extends Actor {
  static override readonly migrations = CREATION_MIGRATIONS;

  private readonly rotations = new Serial();

  protected override readonly tasks = {
    [FIRE_SCHEDULE_TASK]: task(
      v.object({ name: ScheduleNameSchema }),
      ({ name }, job) => this.fireSchedule(name, job),
      { retryBaseMs: CREATION_WEBHOOK_RETRY_BASE_MS },
    ),
    // Runs after each change to a projected field; one key, so a burst of changes is one write.
    [PROJECTION_TASK]: projectionTask(
      () => this.projection(),
      (projection) => writeCreationProjection(this.env.DB, projection),
    ),
  };

  /** Creates the creation this actor is named after; only ever once. */
  async initialize(
    input: v.InferInput<typeof InitializeSchema>,
  ): Promise<{ creation: CreatedCreation; replayed: boolean }> {
    const { id, owner, name, idempotency_key } = v.parse(InitializeSchema, input);
    const createdWith =
      idempotency_key === undefined ? null : canonicalJson({ owner, name, idempotency_key });
    const existing = this.row();
    if (existing) {
      if (createdWith === null)
        throw new ApiError("CREATION_EXISTS", `Creation ${id} already exists.`);
      if (existing.created_with !== createdWith) {
        throw new ApiError(
          "IDEMPOTENCY_KEY_REUSED",
          "This idempotency key was already used with a different request; use a new key.",
          { idempotency_key },
        );
      }
      return { creation: await this.created(existing), replayed: true };
    }
    const now = clock.now();
    this.ctx.storage.transactionSync(() => {
      this.sql.exec(
        `INSERT INTO creation (id, owner, name, webhook_secret, token_version, created_at, updated_at,
           created_with) VALUES (?, ?, ?, ?, 1, ?, ?, ?)`,
        id,
        owner,
        name ?? null,
        newWebhookSecret(),
        now,
        now,
        createdWith,
      );
      this.scheduleProjection();
    });
    return { creation: await this.created(this.require()), replayed: false };
  }

  /** The creation with its current token and webhook secret: the answer to its creation. */
  private async created(row: CreationRow): Promise<CreatedCreation> {
    const token = await mintCreationToken(this.env.TOKEN_SECRET, row.id, row.token_version);
    return { ...this.view(row), token, webhook_secret: row.webhook_secret };
  }

  /** The fields the D1 projection holds, or null when this creation does not exist. */
  projection(): CreationProjection | null {
    const row = this.row();
    if (!row) return null;
    const { id, owner, name, revision } = row;
    const { created_at, updated_at } = this.view(row);
    return { id, owner, name, created_at, updated_at, revision };
  }

  /** Who rooms treat as privileged, and whether they admit anonymous visitors; null when the
   * creation does not exist (the router asks before opening a room). */
  roomPolicy(): { owner: string; allow_anonymous: boolean } | null {
    const row = this.row();
    return row ? { owner: row.owner, allow_anonymous: row.allow_anonymous === 1 } : null;
  }

  /** The current token version, or null when this creation does not exist (auth uses it). */
  tokenVersion(): number | null {
    return this.row()?.token_version ?? null;
  }

  get(caller: Principal): Creation {
    const row = this.require();
    authorize(caller, owned(row), ["owner", "admin", "self", "service"]);
    return this.view(row);
  }

  update(caller: Principal, patch: UpdateCreation): Creation {
    const row = this.require();
    authorize(caller, owned(row), ["owner", "service"]);
    const changes = v.parse(UpdateCreationSchema, patch);
    if (changes.webhook_url) checkWebhookUrl(changes.webhook_url, this.localhostWebhooksAllowed());
    this.ctx.storage.transactionSync(() => {
      this.sql.exec(
        `UPDATE creation SET name = ?, allow_anonymous = ?, webhook_url = ?, revision = revision + 1,
           updated_at = ?`,
        changes.name === undefined ? row.name : changes.name,
        changes.allow_anonymous === undefined
          ? row.allow_anonymous
          : Number(changes.allow_anonymous),
        changes.webhook_url === undefined ? row.webhook_url : changes.webhook_url,
        clock.now(),
      );
      this.scheduleProjection();
    });
    return this.view(this.require());
  }

  /**
   * Bumps the version: every earlier `rct_` token fails on its next use, on every route. The
   * wallet, which checks tokens without asking this actor, is told first; only then is the
   * version committed here and the new token shown. A failure in between leaves the wallet
   * refusing the old token early, never accepting it late (docs/architecture.md). Rotations run
   * one at a time, so each gets its own version.
   */
  rotateToken(caller: Principal): Promise<{ token_version: number; token: string }> {
    return this.rotations.run(async () => {
      const row = this.require();
      authorize(caller, owned(row), ["owner", "service"]);
      const version = row.token_version + 1;
      const account = creationAccount(row.id);
      await actorByName(this.env.WALLET, account).raiseCreationTokenVersion(account, version);
      this.sql.exec("UPDATE creation SET token_version = ?, updated_at = ?", version, clock.now());
      return {
        token_version: version,
        token: await mintCreationToken(this.env.TOKEN_SECRET, row.id, version),
      };
    });
  }

  rotateWebhookSecret(caller: Principal): { webhook_secret: string } {
    authorize(caller, owned(this.require()), ["owner", "service"]);
    const secret = newWebhookSecret();
    this.sql.exec("UPDATE creation SET webhook_secret = ?, updated_at = ?", secret, clock.now());
    return { webhook_secret: secret };
  }

  /** Creates or replaces a schedule; `created` tells which. */
  putSchedule(
    caller: Principal,
    name: string,
    input: PutSchedule,
  ): { created: boolean; schedule: Schedule } {
    const row = this.require();
    authorize(caller, owned(row), ["owner", "self", "service"]);
    v.parse(ScheduleNameSchema, name);
    const spec = v.parse(PutScheduleSchema, input);
    const now = clock.now();
    const timing = resolveTiming(spec, now);
    if (spec.target.type === "webhook" && spec.target.url) {
      checkWebhookUrl(spec.target.url, this.localhostWebhooksAllowed());
    } else if (spec.target.type === "webhook" && !row.webhook_url) {
      throw new ApiError(
        "INVALID_WEBHOOK_URL",
        "Give target.url or set the creation's webhook_url first.",
      );
    }
    const payload = serializePayload(spec.payload);
    const existing = this.scheduleRow(name);
    if (!existing && this.scheduleCount() >= CREATION_SCHEDULES_MAX) {
      throw new ApiError(
        "SCHEDULE_LIMIT_REACHED",
        `A creation may hold ${CREATION_SCHEDULES_MAX} schedules.`,
        {
          limit: CREATION_SCHEDULES_MAX,
        },
      );
    }
    this.ctx.storage.transactionSync(() => {
      this.sql.exec(
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
      this.schedule(
        timing.cron !== null ? { ...job, cron: timing.cron } : { ...job, at: timing.atMs },
      );
    });
    return {
      created: !existing,
      schedule: this.viewSchedule(this.scheduleRow(name) as ScheduleRow),
    };
  }

  listCreationSchedules(caller: Principal): Schedule[] {
    authorize(caller, owned(this.require()), ["owner", "self", "service"]);
    return this.sql
      .exec<ScheduleRow>("SELECT * FROM schedules ORDER BY name")
      .toArray()
      .map((row) => this.viewSchedule(row));
  }

  deleteSchedule(caller: Principal, name: string): void {
    authorize(caller, owned(this.require()), ["owner", "self", "service"]);
    if (!this.scheduleRow(name))
      throw new ApiError("SCHEDULE_NOT_FOUND", `No schedule named "${name}".`);
    this.ctx.storage.transactionSync(() => {
      this.sql.exec("DELETE FROM schedules WHERE name = ?", name);
      this.cancel(jobKey(name));
    });
  }

  /** Occurrences whose delivery failed every attempt, oldest first. */
  scheduleFailures(caller: Principal): ScheduleFailure[] {
    authorize(caller, owned(this.require()), ["owner", "self", "service"]);
    return this.listDeadLetters()
      .filter((letter) => letter.task === FIRE_SCHEDULE_TASK)
      .map(toFailure);
  }

  private async fireSchedule(name: string, job: JobContext): Promise<void> {
    const schedule = this.scheduleRow(name);
    const creation = this.row();
    if (!schedule || !creation) return; // deleted while the job was due
    const target = JSON.parse(schedule.target) as ScheduleTarget;
    const payload = JSON.parse(schedule.payload);
    if (target.type === "room") {
      // Posted into the room like a REST server message; every connection gets it.
      await actorByName(this.env.ROOM, `${creation.id}:${target.room}`).serverMessage({
        schedule: name,
        scheduled_for: new Date(job.occurrenceAt).toISOString(),
        message: target.message,
        payload,
      });
      return;
    }
    const url = target.url ?? creation.webhook_url;
    if (!url) throw new Error("the schedule has no target.url and the creation no webhook_url");
    await postScheduleEvent(url, creation.webhook_secret, {
      type: "schedule.fired",
      id: `${creation.id}:${name}:${job.occurrenceAt}`,
      creation_id: creation.id,
      schedule: name,
      scheduled_for: new Date(job.occurrenceAt).toISOString(),
      attempt: job.attempt,
      payload,
    });
  }

  protected override onJobOutcome(outcome: JobOutcome): void {
    if (outcome.task !== FIRE_SCHEDULE_TASK) return;
    const { name } = outcome.payload as { name: string };
    const status = { ok: "ok", retrying: "retrying", dead: "failed" }[outcome.status];
    this.sql.exec(
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

  private scheduleProjection(): void {
    this.schedule(projectionJob);
  }

  private localhostWebhooksAllowed(): boolean {
    return this.env.ALLOW_LOCALHOST_WEBHOOKS === "true";
  }

  private row(): CreationRow | null {
    return this.sql.exec<CreationRow>("SELECT * FROM creation").toArray()[0] ?? null;
  }

  private require(): CreationRow {
    const row = this.row();
    if (!row) throw new ApiError("CREATION_NOT_FOUND", "No such creation.");
    return row;
  }

  private scheduleRow(name: string): ScheduleRow | null {
    return (
      this.sql.exec<ScheduleRow>("SELECT * FROM schedules WHERE name = ?", name).toArray()[0] ??
      null
    );
  }

  private scheduleCount(): number {
    return this.sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM schedules").one().n;
  }

  private viewSchedule(row: ScheduleRow): Schedule {
    return toSchedule(row, this.scheduler.get(jobKey(row.name)));
  }

  private view(row: CreationRow): Creation {
    return {
      id: row.id,
      owner: row.owner,
      name: row.name,
      allow_anonymous: row.allow_anonymous === 1,
      webhook_url: row.webhook_url,
      token_version: row.token_version,
      created_at: new Date(row.created_at).toISOString(),
      updated_at: new Date(row.updated_at).toISOString(),
    };
  }
}

/** A creation is its own resource; its row holds the token version every `rct_` call is
 *  checked against (the router does not ask first on this actor's routes). */
const owned = (row: CreationRow): Owned => ({
  owner: row.owner,
  creationId: row.id,
  tokenVersion: row.token_version,
});

refusalsAsValues<CreationDO, Actor>(CreationDO, {
  initialize: true,
  projection: true,
  roomPolicy: true,
  tokenVersion: true,
  get: true,
  update: true,
  rotateToken: true,
  rotateWebhookSecret: true,
  putSchedule: true,
  listCreationSchedules: true,
  deleteSchedule: true,
  scheduleFailures: true,
});
