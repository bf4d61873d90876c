// What a creation sold (seed 000's sales summary), from its wallet's record of each sale.

import { actorByName } from "../../actors/refusal.ts";
import { creationAccount } from "../../actors/wallet/account.ts";
import { clock } from "../../shared/clock.ts";
import { SalesSummaryQuerySchema, SalesSummarySchema } from "../../shared/schemas/commerce.ts";
import { CreationParamsSchema } from "../../shared/schemas/creation.ts";
import { iso } from "../../shared/time.ts";
import { defineRoute } from "../route.ts";

export const salesRoutes = [
  defineRoute(
    {
      method: "get",
      path: "/v1/creations/:id/sales/summary",
      operationId: "salesSummary",
      summary:
        "The creation's sales in [from, to): gross, creator and platform shares, per sku, refunds",
      tag: "commerce",
      auth: ["user", "creation", "service"],
      creationParam: "id",
      credentialCheck: "actor",
      scope: "sales:read",
      params: CreationParamsSchema,
      query: SalesSummaryQuerySchema,
      responses: { 200: { description: "The summary", schema: SalesSummarySchema } },
    },
    async (c, { principal, params, query }) => {
      const from = query.from ?? 0;
      const to = query.to ?? clock.now() + 1;
      const account = creationAccount(params.id);
      const summary = await actorByName(c.env.WALLET, account).salesSummary(account, principal, {
        from,
        to,
      });
      return c.json({ creation_id: params.id, from: iso(from), to: iso(to), ...summary });
    },
  ),
];
