// The router's streaming calls into a SessionDO travel over fetch (see SessionDO.fetch): the
// call as JSON in, a UI message stream or a refusal (problem JSON, marked) out.

import * as v from "valibot";
import { ApiError, type ErrorCode } from "../../shared/errors.ts";
import type { ChatRequest } from "../../shared/schemas/chat.ts";
import type { Principal } from "../../shared/schemas/principal.ts";

export const SessionStreamCallSchema = v.variant("op", [
  v.object({ op: v.literal("chat"), name: v.string(), caller: v.unknown(), input: v.unknown() }),
  v.object({ op: v.literal("stream"), name: v.string(), caller: v.unknown(), message: v.string() }),
  v.object({
    op: v.literal("resume"),
    name: v.string(),
    caller: v.unknown(),
    chat_id: v.string(),
    after: v.nullable(v.number()),
  }),
]);

export type SessionStreamCall =
  | { op: "chat"; name: string; caller: Principal; input: ChatRequest }
  | { op: "stream"; name: string; caller: Principal; message: string }
  | { op: "resume"; name: string; caller: Principal; chat_id: string; after: number | null };

/** Marks a response that carries a refusal, not a stream. */
const REFUSAL_HEADER = "x-troupe-refusal";

export function refusalResponse(refusal: ApiError): Response {
  return Response.json(
    { code: refusal.code, detail: refusal.detail, extensions: refusal.extensions },
    { status: refusal.status, headers: { [REFUSAL_HEADER]: "1" } },
  );
}

/** Calls a session's stream; a refusal is rethrown as the ApiError the actor threw. */
export async function callSessionStream(
  stub: { fetch(request: Request): Promise<Response> },
  call: SessionStreamCall,
): Promise<Response> {
  const response = await stub.fetch(
    new Request("https://session.internal/stream", {
      method: "POST",
      body: JSON.stringify(call),
    }),
  );
  if (response.headers.get(REFUSAL_HEADER) !== null) {
    const problem = (await response.json()) as {
      code: ErrorCode;
      detail: string;
      extensions: Record<string, unknown>;
    };
    throw new ApiError(problem.code, problem.detail, problem.extensions);
  }
  return response;
}
