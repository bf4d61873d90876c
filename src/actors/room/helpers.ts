// Small pieces of the room actor that need no room: parsing, a refusal before any socket
// opens, and the error a too-large state is signalled with.

import { type ApiError, problemBody } from "../../shared/errors.ts";

export class StateTooLarge extends Error {
  constructor(size: number) {
    super(`The state would be ${size} bytes, over the room's limit.`);
  }
}

export function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** A problem+json answer from inside the actor, before any socket opens. */
export function problemResponse(error: ApiError): Response {
  return new Response(JSON.stringify(problemBody(error)), {
    status: error.status,
    headers: { "content-type": "application/problem+json" },
  });
}
