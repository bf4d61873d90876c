// The error frames a room sends: the code and message the SDK reads, and the same problem body
// HTTP answers carry; and the log line of a fault of the room's own, whose request id the frame
// repeats so a user's report finds it.

import { ApiError, problemBody } from "../../shared/errors.ts";
import type { RoomErrorCode, ServerFrame } from "../../shared/schemas/room.ts";

type ErrorFrame = Extract<ServerFrame, { type: "error" }>;

/** One error frame; `id` echoes the patch it refuses. */
export function errorFrame(
  code: RoomErrorCode,
  message: string,
  id?: string,
  requestId: string = crypto.randomUUID(),
): ErrorFrame {
  const problem = problemBody(new ApiError(code, message), requestId);
  return {
    type: "error",
    ...(id ? { id } : {}),
    code,
    message,
    problem: problem as ErrorFrame["problem"],
  };
}

/** Logs a fault of the room (never the client's) with a new request id, and returns the id. */
export function logFrameFault(room: string, error: unknown): string {
  const requestId = crypto.randomUUID();
  console.error(
    JSON.stringify({
      level: "error",
      request_id: requestId,
      room,
      error: String(error),
      stack: (error as Error)?.stack,
    }),
  );
  return requestId;
}
