import { PrincipalSchema } from "../../shared/schemas/principal.ts";
import { defineRoute } from "../route.ts";

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
      responses: { 200: { description: "The caller", schema: PrincipalSchema } },
    },
    (c, { principal }) => c.json(principal),
  ),
];
