import * as v from "valibot";
import {
  CreationKeyPrincipalSchema,
  CreationTokenPrincipalSchema,
  isKeyPrincipal,
  type Principal,
  ServicePrincipalSchema,
  UserPrincipalSchema,
} from "../../shared/schemas/principal.ts";
import { defineRoute } from "../route.ts";

/** The caller as `/v1/me` shows it: the principal, less the key's hash (an actor's business). */
const MeSchema = v.union([
  UserPrincipalSchema,
  ServicePrincipalSchema,
  CreationTokenPrincipalSchema,
  v.omit(CreationKeyPrincipalSchema, ["key_hash"]),
]);

function shown(principal: Principal): v.InferOutput<typeof MeSchema> {
  if (principal.type !== "creation" || !isKeyPrincipal(principal)) return principal;
  const { key_hash: _hash, ...rest } = principal;
  return rest;
}

export const meRoutes = [
  defineRoute(
    {
      method: "get",
      path: "/v1/me",
      operationId: "getMe",
      summary: "The principal the request's credentials prove",
      tag: "identity",
      auth: ["user", "service", "creation"],
      scope: null,
      responses: { 200: { description: "The caller", schema: MeSchema } },
    },
    (c, { principal }) => c.json(shown(principal)),
  ),
];
