// A creation's products (seed 000's config.products and listProducts()).

import { actorByName } from "../../actors/refusal.ts";
import { ProductListSchema, PutProductsSchema } from "../../shared/schemas/commerce.ts";
import { CreationParamsSchema } from "../../shared/schemas/creation.ts";
import { defineRoute } from "../route.ts";

const tag = "commerce";
const creation = (env: Env, id: string) => actorByName(env.CREATION, id);

export const productRoutes = [
  defineRoute(
    {
      method: "put",
      path: "/v1/creations/:id/products",
      operationId: "putProducts",
      summary: "Set what the creation sells: one_time, period, consumable, subscription",
      description:
        'Replaces the catalog. Each type takes its own fields: period needs duration_seconds, consumable uses_total, subscription interval (and auto_renew). What was already bought keeps the product as it was. Selling needs "payments" in the creation\'s permissions (PATCH /v1/creations/{id}).',
      tag,
      auth: ["user", "service"],
      params: CreationParamsSchema,
      body: PutProductsSchema,
      responses: { 200: { description: "The catalog", schema: ProductListSchema } },
    },
    async (c, { principal, params, body }) =>
      c.json(await creation(c.env, params.id).putProducts(principal, body)),
  ),
  defineRoute(
    {
      method: "get",
      path: "/v1/creations/:id/products",
      operationId: "listProducts",
      summary: "What the creation sells (public)",
      tag,
      auth: "public",
      params: CreationParamsSchema,
      responses: { 200: { description: "The catalog", schema: ProductListSchema } },
    },
    async (c, { params }) => c.json(await creation(c.env, params.id).listProducts()),
  ),
];
