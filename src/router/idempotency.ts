// Idempotency keys at the edge: the `Idempotency-Key` header or the body's `reference_id`
// (seed 000's name). The wallet actor keeps the records; the router only finds the key and
// marks replayed answers.

import type { Replayable } from "../actors/idempotency.ts";
import { ApiError } from "../shared/errors.ts";
import { IdempotencyHeaderSchema } from "../shared/schemas/wallet.ts";
import type { AppContext } from "./context.ts";
import { parseInput } from "./input.ts";

/** Said in the reference of every idempotent route. */
export const IDEMPOTENT_DESCRIPTION =
  "Idempotent: send `Idempotency-Key` or `reference_id`; a retry gets the stored answer.";

export function idempotencyKey(
  c: AppContext,
  body: { reference_id?: string } | undefined,
): string | undefined {
  const header = parseInput("header", IdempotencyHeaderSchema, {
    "idempotency-key": c.req.header("idempotency-key"),
  })["idempotency-key"];
  const reference = body?.reference_id;
  if (header !== undefined && reference !== undefined && header !== reference) {
    throw new ApiError(
      "IDEMPOTENCY_KEY_MISMATCH",
      "Send the same key as Idempotency-Key and reference_id, or only one of them.",
    );
  }
  return header ?? reference;
}

/** Sends an actor's answer; a replay says so in `Idempotent-Replayed: true`. */
export function reply<T>(c: AppContext, result: Replayable<T>, status: 200 | 201 = 200) {
  if (result.replayed) c.header("Idempotent-Replayed", "true");
  return c.json(result.body as object, status);
}

/** Calls an idempotent actor method with the request's key and sends its answer. */
export async function replyOnce<T>(
  c: AppContext,
  body: { reference_id?: string } | undefined,
  call: (key: string | undefined) => Promise<Replayable<T>>,
  status: 200 | 201 = 200,
) {
  return reply(c, await call(idempotencyKey(c, body)), status);
}
