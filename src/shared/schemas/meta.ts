import * as v from "valibot";

export const HealthSchema = v.object({
  status: v.literal("ok"),
  /** Server time, ISO 8601 UTC. */
  time: v.string(),
});

/** RFC 9457 problem details, as every error response carries them. */
export const ProblemSchema = v.looseObject({
  type: v.string(),
  title: v.string(),
  status: v.number(),
  detail: v.string(),
  code: v.string(),
  request_id: v.string(),
});

/** A `limit` query parameter: a whole number from 1 to `max`, defaulting to `max`. */
export function pageLimitSchema(max: number) {
  return v.optional(
    v.pipe(
      v.string(),
      v.regex(/^\d+$/, "must be a whole number"),
      v.transform(Number),
      v.minValue(1, "must be at least 1"),
      v.maxValue(max, `must be at most ${max}`),
    ),
    String(max),
  );
}
