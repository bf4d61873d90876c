import * as v from "valibot";
import {
  DisableUserSchema,
  UserParamsSchema,
  UserStatusSchema,
} from "../../shared/schemas/user-status.ts";
import { defineRoute } from "../route.ts";
import { userActor } from "./subdomains.ts";

const tag = "users (admin)";
// Operators only: the user's actor admits an admin's JWT or the platform (requireOperator).
const auth = ["user", "service"] as const;
const status = { description: "The user's status", schema: UserStatusSchema };

export const adminUserRoutes = [
  defineRoute(
    {
      method: "get",
      path: "/v1/admin/users/:id",
      operationId: "getUserStatus",
      summary: "Whether a user is disabled, since when and why",
      description: "A user never seen reads as enabled.",
      tag,
      auth,
      params: UserParamsSchema,
      responses: { 200: status },
    },
    async (c, { principal, params }) =>
      c.json(await userActor(c.env, params.id).userStatus(params.id, principal)),
  ),
  defineRoute(
    {
      method: "post",
      path: "/v1/admin/users/:id/disable",
      operationId: "disableUser",
      summary: "Disable a user: their budget authorizations and access tokens stop working",
      description:
        "Spends on the user's behalf, new access tokens and budgets, room tickets and room connections with the user's JWT are refused with 403 AUTH_USER_DISABLED. Disabling a disabled user answers the same state (the first `disabled_at` and `reason`). A user id never seen can be disabled, and starts disabled.",
      tag,
      auth,
      params: UserParamsSchema,
      body: v.optional(DisableUserSchema, {}),
      responses: { 200: status },
    },
    async (c, { principal, params, body }) =>
      c.json(await userActor(c.env, params.id).disableUser(params.id, principal, body)),
  ),
  defineRoute(
    {
      method: "post",
      path: "/v1/admin/users/:id/enable",
      operationId: "enableUser",
      summary: "Enable a disabled user again; authorizations that have not expired work again",
      description: "Enabling an enabled user answers the same state.",
      tag,
      auth,
      params: UserParamsSchema,
      responses: { 200: status },
    },
    async (c, { principal, params }) =>
      c.json(await userActor(c.env, params.id).enableUser(params.id, principal)),
  ),
];
