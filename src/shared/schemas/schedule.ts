import * as v from "valibot";
import { JsonValueSchema } from "../json.ts";
import { CreationIdSchema, WebhookUrlSchema } from "./creation.ts";
import { RoomNameSchema } from "./room.ts";

export const ScheduleNameSchema = v.pipe(
  v.string(),
  v.regex(
    /^[a-z0-9][a-z0-9_-]{0,63}$/,
    "must be 1-64 of a-z, 0-9, _ and -, starting with a letter or digit",
  ),
);

export const WebhookTargetSchema = v.object({
  type: v.literal("webhook"),
  /** Defaults to the creation's `webhook_url` setting at each delivery. */
  url: v.optional(WebhookUrlSchema),
});

export const RoomTargetSchema = v.object({
  type: v.literal("room"),
  room: RoomNameSchema,
  message: JsonValueSchema,
});

export const ScheduleTargetSchema = v.variant("type", [WebhookTargetSchema, RoomTargetSchema]);

/** Exactly one of `cron`, `at` and `delay_seconds`; the actor checks that and the rest. */
export const PutScheduleSchema = v.object({
  cron: v.optional(v.pipe(v.string(), v.maxLength(120, "must be at most 120 characters"))),
  at: v.optional(
    v.pipe(
      v.string(),
      v.isoTimestamp("must be an ISO 8601 time with a zone, e.g. 2026-12-01T09:00:00Z"),
    ),
  ),
  delay_seconds: v.optional(v.pipe(v.number(), v.integer("must be whole seconds"), v.minValue(1))),
  target: ScheduleTargetSchema,
  /** Any JSON, passed into the webhook event (`payload`) when the schedule fires. */
  payload: v.optional(JsonValueSchema),
});

export const ScheduleParamsSchema = v.object({ id: CreationIdSchema, name: ScheduleNameSchema });

export const ScheduleSchema = v.object({
  name: v.string(),
  cron: v.nullable(v.string()),
  at: v.nullable(v.string()),
  target: ScheduleTargetSchema,
  payload: JsonValueSchema,
  next_run_at: v.nullable(v.string()),
  last_run_at: v.nullable(v.string()),
  last_status: v.nullable(v.picklist(["ok", "retrying", "failed"])),
  last_error: v.nullable(v.string()),
  /** Failed attempts of the current run (0 when the last attempt succeeded). */
  attempts: v.number(),
  runs: v.number(),
  created_at: v.string(),
  updated_at: v.string(),
});

export const ScheduleFailureSchema = v.object({
  name: v.string(),
  scheduled_for: v.string(),
  failed_at: v.string(),
  attempts: v.number(),
  last_error: v.string(),
});

export type PutSchedule = v.InferOutput<typeof PutScheduleSchema>;
export type ScheduleTarget = v.InferOutput<typeof ScheduleTargetSchema>;
export type Schedule = v.InferOutput<typeof ScheduleSchema>;
export type ScheduleFailure = v.InferOutput<typeof ScheduleFailureSchema>;
