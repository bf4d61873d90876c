// What the client holds for the room, in the order it was sent: frames sent while there was no
// connection, and patches not yet acknowledged. On every welcome all of it goes out again in
// order; a patch keeps its id, so the room applies a resent patch once and answers with its
// first ack. Bounded by ROOM_CLIENT_QUEUE_MAX: past it, new frames are refused, never dropped.

import { ROOM_CLIENT_QUEUE_MAX } from "../shared/limits.ts";
import { RoomError } from "./errors.ts";

type Held =
  | { kind: "frame"; text: string }
  | {
      kind: "patch";
      id: string;
      text: string;
      resolve: (version: number) => void;
      reject: (error: RoomError) => void;
    };

export class Outbox {
  private held: Held[] = [];

  /** Frames held now: waiting for a connection, or patches waiting for their answer. */
  get size(): number {
    return this.held.length;
  }

  /** The refusal for one frame more than ROOM_CLIENT_QUEUE_MAX; null while there is room. */
  refusal(): RoomError | null {
    if (this.held.length < ROOM_CLIENT_QUEUE_MAX) return null;
    return new RoomError(
      "QUEUE_FULL",
      `${ROOM_CLIENT_QUEUE_MAX} frames are already waiting for the room; try again once it answers.`,
    );
  }

  holdFrame(text: string): void {
    this.held.push({ kind: "frame", text });
  }

  /** Holds a patch until the room answers it; resolves with its version or rejects. */
  holdPatch(id: string, text: string): Promise<number> {
    return new Promise((resolve, reject) => {
      this.held.push({ kind: "patch", id, text, resolve, reject });
    });
  }

  /** Hands everything to `send` in order; frames are let go, patches wait for their answer. */
  drain(send: (text: string) => void): void {
    for (const item of this.held) send(item.text);
    this.held = this.held.filter((item) => item.kind === "patch");
  }

  /** Settles the patch with this id; false when none is held (e.g. answered already). */
  settle(id: string, outcome: { version: number } | { error: RoomError }): boolean {
    const index = this.held.findIndex((item) => item.kind === "patch" && item.id === id);
    const item = this.held[index];
    if (item?.kind !== "patch") return false;
    this.held.splice(index, 1);
    if ("version" in outcome) item.resolve(outcome.version);
    else item.reject(outcome.error);
    return true;
  }

  /** Rejects every held patch and drops every held frame (the client was closed). */
  clear(error: RoomError): void {
    const held = this.held;
    this.held = [];
    for (const item of held) if (item.kind === "patch") item.reject(error);
  }
}
