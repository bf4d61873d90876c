// Delivers one schedule event to a creation's backend. Anything but a 2xx within the timeout
// throws, so the scheduler retries it with backoff and finally lists it as a failure.

import { CREATION_WEBHOOK_TIMEOUT_MS } from "../../shared/limits.ts";
import { signWebhook } from "../../shared/webhook-signature.ts";

export interface ScheduleEvent {
  type: "schedule.fired";
  /** Stable across retries of one occurrence, so receivers can drop duplicates. */
  id: string;
  creation_id: string;
  schedule: string;
  scheduled_for: string;
  attempt: number;
  payload: unknown;
}

export async function postScheduleEvent(
  url: string,
  secret: string,
  event: ScheduleEvent,
): Promise<void> {
  const body = JSON.stringify(event);
  const { timestamp, signature } = await signWebhook(secret, body);
  let response: Response;
  try {
    response = await fetch(url, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        "user-agent": "troupe-webhooks/1",
        "troupe-event-id": event.id,
        "troupe-timestamp": timestamp,
        "troupe-signature": signature,
      },
      body,
      redirect: "manual",
      signal: AbortSignal.timeout(CREATION_WEBHOOK_TIMEOUT_MS),
    });
  } catch (error) {
    const timedOut = error instanceof Error && error.name === "TimeoutError";
    throw new Error(
      timedOut
        ? `no answer within ${CREATION_WEBHOOK_TIMEOUT_MS} ms`
        : `request failed: ${String(error)}`,
    );
  }
  await response.body?.cancel();
  if (response.status < 200 || response.status > 299) {
    throw new Error(`the receiver answered HTTP ${response.status}`);
  }
}
