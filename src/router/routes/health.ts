import { clock } from "../../shared/clock.ts";
import { HealthSchema } from "../../shared/schemas/meta.ts";
import { defineRoute } from "../route.ts";

export const healthRoutes = [
  defineRoute(
    {
      method: "get",
      path: "/health",
      operationId: "getHealth",
      summary: "Liveness of the router",
      tag: "meta",
      auth: "public",
      edgeLimitExempt: "It answers from the router alone, for less than counting it would cost",
      responses: { 200: { description: "The router is serving", schema: HealthSchema } },
    },
    (c) => c.json({ status: "ok" as const, time: new Date(clock.now()).toISOString() }),
  ),
];
