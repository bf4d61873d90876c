import { requireOperator } from "../../actors/access.ts";
import { listClaimedSubdomains, listReservations } from "../../projections/subdomains.ts";
import { importRecords } from "../../registry/importer.ts";
import { recordsFromBlob } from "../../registry/layouts.ts";
import { reservedSubdomains } from "../../shared/config.ts";
import { invalidField } from "../../shared/errors.ts";
import { REGISTRY_IMPORT_BATCH_MAX } from "../../shared/limits.ts";
import { RegistryImportSchema, SubdomainSearchQuerySchema } from "../../shared/schemas/registry.ts";
import {
  ReservationSchema,
  SubdomainParamsSchema,
  SubdomainSchema,
} from "../../shared/schemas/subdomain.ts";
import { defineRoute } from "../route.ts";
import { subdomainActor } from "./subdomains.ts";

const tag = "subdomains (admin)";
const auth = ["user", "service"] as const;

export const adminSubdomainRoutes = [
  defineRoute(
    {
      method: "post",
      path: "/v1/admin/registry/import",
      operationId: "importRegistry",
      summary: "Import seed 004's KV registry (per-key records or the old blob), idempotently",
      description: `Reports imported, unchanged and skipped keys with a reason each. At most ${REGISTRY_IMPORT_BATCH_MAX} records per request: \`npm run import-registry\` sends batches.`,
      tag,
      auth,
      body: RegistryImportSchema,
      responses: { 200: { description: "{ imported, unchanged, skipped: [{ key, reason }] }" } },
    },
    async (c, { principal, body }) => {
      requireOperator(principal);
      const records = body.records ?? recordsFromBlob(body.registry);
      const count = Object.keys(records).length;
      if (count > REGISTRY_IMPORT_BATCH_MAX) {
        throw invalidField(
          "body",
          "registry",
          `holds ${count} records; send at most ${REGISTRY_IMPORT_BATCH_MAX} per request`,
        );
      }
      return c.json(await importRecords(c.env, principal, records));
    },
  ),
  defineRoute(
    {
      method: "put",
      path: "/v1/admin/subdomains/:name/reservation",
      operationId: "setSubdomainReservation",
      summary: "Reserve a name, lift a default reservation, or set it aside for one user",
      tag,
      auth,
      params: SubdomainParamsSchema,
      body: ReservationSchema,
      responses: { 200: { description: "The name", schema: SubdomainSchema } },
    },
    async (c, { principal, params, body }) => {
      const { name, actor } = subdomainActor(c.env, params.name);
      return c.json(await actor.setReservation(name, principal, body));
    },
  ),
  defineRoute(
    {
      method: "get",
      path: "/v1/admin/reservations",
      operationId: "listReservations",
      summary: "The default reserved names and every admin reservation or preallocation",
      tag,
      auth,
      responses: { 200: { description: "Reservations" } },
    },
    async (c, { principal }) => {
      requireOperator(principal);
      const overrides = await listReservations(c.env.DB);
      return c.json({ default_reserved: [...reservedSubdomains(c.env)].sort(), overrides });
    },
  ),
  defineRoute(
    {
      method: "get",
      path: "/v1/admin/subdomains",
      operationId: "searchSubdomains",
      summary: "Claimed names by owner or prefix, a page at a time (from the D1 projection)",
      tag,
      auth,
      query: SubdomainSearchQuerySchema,
      responses: { 200: { description: "One page" } },
    },
    async (c, { principal, query }) => {
      requireOperator(principal);
      const rows = await listClaimedSubdomains(c.env.DB, {
        after: query.cursor ?? "",
        limit: query.limit,
        owner: query.owner,
        prefix: query.prefix,
      });
      const last = rows.length === query.limit ? rows.at(-1)?.name : undefined;
      return c.json({ subdomains: rows, next_cursor: last ?? null });
    },
  ),
];
