// The client's copy of the room's state: applied in version order with the same applyOps the
// room uses, so both agree. It says what happened; the client decides what to do about it
// (reconnect to catch up on a gap, start over from the full state when a patch will not apply).

import type { JsonObject } from "../shared/json.ts";
import { applyOps, emptyRoomState } from "../shared/room-state.ts";
import type { PatchedFrame, WelcomeFrame } from "../shared/schemas/room.ts";

export type LiveOutcome =
  /** The next version: applied. */
  | "applied"
  /** A version the mirror has already (e.g. from a welcome's catch-up): ignored. */
  | "old"
  /** A version is missing in between: catch up with `since`. */
  | "gap"
  /** The mirror cannot apply it: start over from the full state. */
  | "failed";

export class StateMirror {
  state: JsonObject = emptyRoomState();
  version = 0;
  /** Holds a welcome's state, so a reconnect may ask only for what was missed (`since`). */
  current = false;

  /** Takes a welcome's state or catch-up; false when the catch-up does not reach its version
   * (then the mirror is reset and needs the full state). */
  welcome(frame: WelcomeFrame): boolean {
    if (frame.state !== null) {
      this.state = frame.state;
      this.version = frame.version;
      this.current = true;
      return true;
    }
    for (const patch of frame.patches ?? []) {
      if (patch.version <= this.version) continue;
      if (patch.version !== this.version + 1 || !this.apply(patch)) break;
    }
    if (this.version !== frame.version) {
      this.reset();
      return false;
    }
    this.current = true;
    return true;
  }

  live(frame: PatchedFrame): LiveOutcome {
    if (frame.version <= this.version) return "old";
    if (frame.version !== this.version + 1) return "gap";
    if (this.apply(frame)) return "applied";
    this.reset();
    return "failed";
  }

  /** Forgets the version, so the next welcome brings the whole state. */
  reset(): void {
    this.version = 0;
    this.current = false;
  }

  private apply(frame: PatchedFrame): boolean {
    try {
      this.state = applyOps(this.state, frame.ops);
    } catch {
      return false; // e.g. a path this mirror refuses
    }
    this.version = frame.version;
    return true;
  }
}
