// The protocol at the client's edge: outgoing frames are checked as the room will check them
// (so a bad one fails at the call, not as a round trip and a strike against the connection),
// and incoming ones against the shared server-frame schema (so a frame the SDK cannot trust is
// reported, never applied).

import * as v from "valibot";
import { parseJsonOrUndefined } from "../shared/json.ts";
import { ROOM_FRAME_MAX_BYTES } from "../shared/limits.ts";
import {
  type ClientFrame,
  ClientFrameSchema,
  type ServerFrame,
  ServerFrameSchema,
} from "../shared/schemas/room.ts";
import { RoomError } from "./errors.ts";

const encoder = new TextEncoder();

const describe = (issue: v.BaseIssue<unknown>) =>
  `${v.getDotPath(issue) ?? "frame"}: ${issue.message}`;

/** The frame as the room will read it, or the RoomError the room would answer it with. */
export function encodeFrame(frame: ClientFrame): string {
  const parsed = v.safeParse(ClientFrameSchema, frame);
  if (!parsed.success) throw new RoomError("INVALID_FRAME", describe(parsed.issues[0]));
  const text = JSON.stringify(parsed.output);
  if (encoder.encode(text).length > ROOM_FRAME_MAX_BYTES) {
    throw new RoomError("FRAME_TOO_LARGE", `Frames may be at most ${ROOM_FRAME_MAX_BYTES} bytes.`);
  }
  return text;
}

/** A frame from the room, or INVALID_SERVER_FRAME saying what is wrong with it. */
export function decodeFrame(data: unknown): ServerFrame | RoomError {
  const json = typeof data === "string" ? parseJsonOrUndefined(data) : undefined;
  const parsed = v.safeParse(ServerFrameSchema, json);
  if (parsed.success) return parsed.output;
  const where = typeof data === "string" ? describe(parsed.issues[0]) : "not text";
  return new RoomError("INVALID_SERVER_FRAME", `The room sent an invalid frame (${where}).`);
}
