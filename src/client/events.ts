// The events a RoomClient emits: every frame the room sends (by its type), plus `state` (one
// event whenever the mirrored state changes), `status` (the connection's condition) and `error`
// (the room's refusals and the SDK's own problems, in one shape).

import type { JsonObject } from "../shared/json.ts";
import type { PatchedFrame, ServerFrame } from "../shared/schemas/room.ts";
import type { RoomClientErrorCode } from "./errors.ts";

export type RoomStatus =
  /** Opening the first connection. */
  | "connecting"
  /** Welcomed: frames go out at once. */
  | "connected"
  /** The connection was lost; frames are held until the next welcome. */
  | "reconnecting"
  /** The credentials were refused; nothing is retried until setCredentials() or reconnect(). */
  | "unauthenticated"
  /** close() was called. */
  | "closed";

export interface StateEvent {
  type: "state";
  state: JsonObject;
  version: number;
  /** welcome: the first state; patch: one live patch (in `patch`); resync: a reconnect's
   * catch-up or a full state replaced the mirror. */
  reason: "welcome" | "patch" | "resync";
  patch: PatchedFrame | null;
}

export interface StatusEvent {
  type: "status";
  status: RoomStatus;
}

export interface RoomErrorEvent {
  type: "error";
  code: RoomClientErrorCode;
  message: string;
  /** The patch this error answers, when it answers one. */
  id?: string;
  /** The HTTP status, for a refused ticket request. */
  status?: number;
  /** True when the client stopped and waits for new credentials. */
  needsCredentials: boolean;
}

type FrameEvents = {
  [T in Exclude<ServerFrame["type"], "error">]: Extract<ServerFrame, { type: T }>;
};

export type RoomEventMap = FrameEvents & {
  state: StateEvent;
  status: StatusEvent;
  error: RoomErrorEvent;
};

export type RoomEventType = keyof RoomEventMap;

export class Emitter<M> {
  private readonly handlers = new Map<keyof M, Set<(event: never) => void>>();

  on<K extends keyof M>(type: K, handler: (event: M[K]) => void): () => void {
    const set = this.handlers.get(type) ?? new Set();
    set.add(handler as (event: never) => void);
    this.handlers.set(type, set);
    return () => {
      set.delete(handler as (event: never) => void);
    };
  }

  /** Calls every handler; one that throws is reported without stopping the others or the
   * client (its mirror must stay consistent whatever an app handler does). */
  emit<K extends keyof M>(type: K, event: M[K]): void {
    for (const handler of this.handlers.get(type) ?? []) {
      try {
        (handler as (event: M[K]) => void)(event);
      } catch (error) {
        queueMicrotask(() => {
          throw error;
        });
      }
    }
  }
}
