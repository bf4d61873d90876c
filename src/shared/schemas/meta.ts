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
