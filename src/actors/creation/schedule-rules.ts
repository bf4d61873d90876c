// What a creation's schedule must satisfy beyond its schema: one timing, a cron expression
// that parses and is not too frequent, a time in the future but within the horizon, a webhook
// URL the platform may call, and a small payload.

import { cronError, shortestCronIntervalSeconds } from "../../shared/cron.ts";
import { ApiError, invalidField } from "../../shared/errors.ts";
import {
  CREATION_SCHEDULE_HORIZON_SECONDS,
  CREATION_SCHEDULE_MIN_INTERVAL_SECONDS,
  CREATION_SCHEDULE_PAYLOAD_MAX_BYTES,
} from "../../shared/limits.ts";
import type { PutSchedule } from "../../shared/schemas/schedule.ts";

export type Timing = { cron: string; atMs: null } | { cron: null; atMs: number };

export function resolveTiming(input: PutSchedule, nowMs: number): Timing {
  const given = (["cron", "at", "delay_seconds"] as const).filter(
    (key) => input[key] !== undefined,
  );
  if (given.length !== 1) {
    throw new ApiError(
      "INVALID_SCHEDULE_TIMING",
      given.length === 0
        ? "Give one of cron, at or delay_seconds."
        : `Give only one of cron, at or delay_seconds, not ${given.join(" and ")}.`,
      { fields: given },
    );
  }
  if (input.cron !== undefined) return { cron: checkCron(input.cron, nowMs), atMs: null };
  const atMs =
    input.at !== undefined ? Date.parse(input.at) : nowMs + (input.delay_seconds ?? 0) * 1000;
  if (atMs <= nowMs) throw new ApiError("SCHEDULE_IN_PAST", `${input.at} has already passed.`);
  if (atMs > nowMs + CREATION_SCHEDULE_HORIZON_SECONDS * 1000) {
    throw new ApiError(
      "SCHEDULE_TOO_FAR",
      `A one-shot schedule may be at most ${CREATION_SCHEDULE_HORIZON_SECONDS} seconds ahead.`,
      { horizon_seconds: CREATION_SCHEDULE_HORIZON_SECONDS },
    );
  }
  return { cron: null, atMs };
}

function checkCron(expression: string, nowMs: number): string {
  const error = cronError(expression);
  if (error) throw new ApiError("INVALID_CRON", `"${expression}": ${error}`);
  const interval = shortestCronIntervalSeconds(expression, nowMs);
  if (interval === Number.POSITIVE_INFINITY) {
    throw new ApiError("INVALID_CRON", `"${expression}" never fires again; use "at" for one run.`);
  }
  if (interval < CREATION_SCHEDULE_MIN_INTERVAL_SECONDS) {
    throw new ApiError(
      "CRON_TOO_FREQUENT",
      `"${expression}" fires every ${interval} s; the minimum is ${CREATION_SCHEDULE_MIN_INTERVAL_SECONDS} s.`,
      { interval_seconds: interval, min_interval_seconds: CREATION_SCHEDULE_MIN_INTERVAL_SECONDS },
    );
  }
  return expression;
}

const LOCAL_HOSTS = new Set(["localhost", "127.0.0.1", "[::1]"]);

/** Only https, unless the deployment allows http to this machine for development. */
export function checkWebhookUrl(url: string, allowLocalhost: boolean): void {
  const parsed = new URL(url);
  if (parsed.protocol === "https:") return;
  if (parsed.protocol === "http:" && allowLocalhost && LOCAL_HOSTS.has(parsed.hostname)) return;
  throw new ApiError(
    "INVALID_WEBHOOK_URL",
    allowLocalhost
      ? `${parsed.protocol}//${parsed.host} is not allowed: use https, or http on localhost/127.0.0.1.`
      : `${parsed.protocol}//${parsed.host} is not allowed: webhook URLs must use https.`,
  );
}

/** Serializes the payload, refusing one over CREATION_SCHEDULE_PAYLOAD_MAX_BYTES. */
export function serializePayload(payload: unknown): string {
  const json = JSON.stringify(payload ?? null);
  const bytes = new TextEncoder().encode(json).length;
  if (bytes > CREATION_SCHEDULE_PAYLOAD_MAX_BYTES) {
    throw invalidField(
      "body",
      "payload",
      `is ${bytes} bytes; the most is ${CREATION_SCHEDULE_PAYLOAD_MAX_BYTES}`,
    );
  }
  return json;
}
