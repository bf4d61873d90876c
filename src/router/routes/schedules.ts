import * as v from "valibot";
import { actorByName } from "../../actors/refusal.ts";
import { CreationParamsSchema } from "../../shared/schemas/creation.ts";
import {
  PutScheduleSchema,
  ScheduleFailureSchema,
  ScheduleParamsSchema,
  ScheduleSchema,
} from "../../shared/schemas/schedule.ts";
import { defineRoute } from "../route.ts";

const tag = "schedules";
const auth = ["user", "service", "creation"] as const;
const creation = (env: Env, id: string) => actorByName(env.CREATION, id);

export const scheduleRoutes = [
  defineRoute(
    {
      method: "get",
      path: "/v1/creations/:id/schedules",
      operationId: "listSchedules",
      summary: "List a creation's schedules with their next and last runs",
      tag,
      auth,
      creationParam: "id",
      scope: "schedules:read",
      credentialCheck: "actor",
      params: CreationParamsSchema,
      responses: { 200: { description: "Schedules by name", schema: v.array(ScheduleSchema) } },
    },
    async (c, { principal, params }) =>
      c.json(await creation(c.env, params.id).listCreationSchedules(principal)),
  ),
  defineRoute(
    {
      method: "get",
      path: "/v1/creations/:id/schedules/failures",
      operationId: "listScheduleFailures",
      summary: "Occurrences whose delivery failed every retry",
      tag,
      auth,
      creationParam: "id",
      scope: "schedules:read",
      credentialCheck: "actor",
      params: CreationParamsSchema,
      responses: {
        200: { description: "Failures, oldest first", schema: v.array(ScheduleFailureSchema) },
      },
    },
    async (c, { principal, params }) =>
      c.json(await creation(c.env, params.id).scheduleFailures(principal)),
  ),
  defineRoute(
    {
      method: "put",
      path: "/v1/creations/:id/schedules/:name",
      operationId: "putSchedule",
      summary: "Create or replace a schedule: exactly one of cron (UTC), at or delay_seconds",
      description:
        'A webhook target receives a signed POST (troupe-timestamp, troupe-signature: v1=HMAC-SHA256 of "<timestamp>.<body>" with the webhook secret).',
      tag,
      auth,
      creationParam: "id",
      scope: "schedules:write",
      credentialCheck: "actor",
      params: ScheduleParamsSchema,
      body: PutScheduleSchema,
      responses: {
        200: { description: "The replaced schedule", schema: ScheduleSchema },
        201: { description: "The new schedule", schema: ScheduleSchema },
      },
    },
    async (c, { principal, params, body }) => {
      const { created, schedule } = await creation(c.env, params.id).putSchedule(
        principal,
        params.name,
        body,
      );
      return c.json(schedule, created ? 201 : 200);
    },
  ),
  defineRoute(
    {
      method: "delete",
      path: "/v1/creations/:id/schedules/:name",
      operationId: "deleteSchedule",
      summary: "Cancel and remove a schedule",
      tag,
      auth,
      creationParam: "id",
      scope: "schedules:write",
      credentialCheck: "actor",
      params: ScheduleParamsSchema,
      responses: { 204: { description: "Removed" } },
    },
    async (c, { principal, params }) => {
      await creation(c.env, params.id).deleteSchedule(principal, params.name);
      return c.body(null, 204);
    },
  ),
];
