// Room timers: scheduler jobs keyed `timer:<name>`, so they fire after hibernation or eviction.
// Privileged connections run them, participants too once the owner sets /config/open_timers.

import type { JsonObject } from "../../shared/json.ts";
import { isJsonObject } from "../../shared/json.ts";
import { ROOM_TIMERS_MAX } from "../../shared/limits.ts";
import { ownValue } from "../../shared/object-keys.ts";
import type { RoomErrorCode, RoomIdentity, ServerFrame } from "../../shared/schemas/room.ts";
import type { Scheduler } from "../scheduler.ts";

export const TIMER_TASK = "timer";
const timerKey = (name: string) => `timer:${name}`;

/** What a timer request comes to: a frame for everyone, or a refusal for the sender. */
export type TimerOutcome =
  | { frame: ServerFrame; refused?: never }
  | { refused: { code: RoomErrorCode; message: string }; frame?: never };

const FORBIDDEN: TimerOutcome = {
  refused: { code: "FORBIDDEN", message: "Only the creation may run timers in this room." },
};

export class RoomTimers {
  private readonly scheduler: Scheduler;
  private readonly state: () => JsonObject;

  constructor(scheduler: Scheduler, state: () => JsonObject) {
    this.scheduler = scheduler;
    this.state = state;
  }

  start(identity: RoomIdentity, name: string, seconds: number): TimerOutcome {
    if (!this.mayRun(identity)) return FORBIDDEN;
    const running = this.scheduler.list().filter((job) => job.task === TIMER_TASK);
    if (!running.some((job) => job.key === timerKey(name)) && running.length >= ROOM_TIMERS_MAX) {
      return {
        refused: { code: "TIMER_LIMIT", message: `A room runs at most ${ROOM_TIMERS_MAX} timers.` },
      };
    }
    const firesAt = this.scheduler.schedule({
      key: timerKey(name),
      task: TIMER_TASK,
      payload: { name },
      delayMs: seconds * 1000,
    });
    return { frame: { type: "timer.started", name, fires_at: new Date(firesAt).toISOString() } };
  }

  cancel(identity: RoomIdentity, name: string): TimerOutcome {
    if (!this.mayRun(identity)) return FORBIDDEN;
    if (!this.scheduler.cancel(timerKey(name))) {
      return {
        refused: { code: "TIMER_NOT_FOUND", message: `No timer named "${name}" is running.` },
      };
    }
    return { frame: { type: "timer.cancelled", name } };
  }

  /** The owner and backend always; participants when the owner set `/config/open_timers`. */
  private mayRun(identity: RoomIdentity): boolean {
    const config = ownValue(this.state(), "config");
    return (
      identity.privileged || (isJsonObject(config) && ownValue(config, "open_timers") === true)
    );
  }
}
