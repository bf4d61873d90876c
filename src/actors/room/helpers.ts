// Small pieces of the room actor that need no room: the patch id of a frame, a refusal before any socket
// opens, and the error a too-large state is signalled with.

import * as v from "valibot";
import { type ApiError, problemBody } from "../../shared/errors.ts";
import { isJsonObject } from "../../shared/json.ts";
import { ownValue } from "../../shared/object-keys.ts";
import { PatchIdSchema } from "../../shared/schemas/room.ts";

export class StateTooLarge extends Error {
  constructor(size: number) {
    super(`The state would be ${size} bytes, over the room's limit.`);
  }
}

/** The patch id a frame carries, when it is one the protocol allows: an error frame echoes only
 * such an id, so the error frame itself stays valid (ServerFrameSchema) for the client to read. */
export function patchIdOf(json: unknown): string | undefined {
  const id = isJsonObject(json) ? ownValue(json, "id") : undefined;
  return v.is(PatchIdSchema, id) ? id : undefined;
}

/** A problem+json answer from inside the actor, before any socket opens. */
export function problemResponse(error: ApiError): Response {
  return new Response(JSON.stringify(problemBody(error)), {
    status: error.status,
    headers: { "content-type": "application/problem+json" },
  });
}
