import * as v from "valibot";
import { actorByName } from "../../actors/refusal.ts";
import { listCreationsByOwner } from "../../projections/creations.ts";
import { derivedUuid } from "../../shared/ids.ts";
import {
  CreateCreationSchema,
  CreatedCreationSchema,
  CreationListSchema,
  CreationParamsSchema,
  CreationSchema,
  ListCreationsQuerySchema,
  RotatedTokenSchema,
  RotatedWebhookSecretSchema,
  UpdateCreationSchema,
} from "../../shared/schemas/creation.ts";
import { idempotencyKey, reply } from "../idempotency.ts";
import { defineRoute } from "../route.ts";

const tag = "creations";
const creation = (env: Env, id: string) => actorByName(env.CREATION, id);

const rotateToken = (path: string, operationId: string) =>
  defineRoute(
    {
      method: "post",
      path,
      operationId,
      summary: "Rotate the creation token: every earlier rct_ token is revoked on its next use",
      tag,
      auth: ["user", "service"],
      mintsCredentials: true,
      params: CreationParamsSchema,
      responses: { 200: { description: "The new version and token", schema: RotatedTokenSchema } },
    },
    async (c, { principal, params }) =>
      c.json(await creation(c.env, params.id).rotateToken(principal)),
  );

export const creationRoutes = [
  defineRoute(
    {
      method: "get",
      path: "/v1/creations",
      operationId: "listCreations",
      summary: "The caller's creations, newest first",
      description:
        "Read from the D1 projection the actors write: a creation appears here moments after it is created.",
      tag,
      auth: ["user"],
      query: ListCreationsQuerySchema,
      responses: { 200: { description: "One page", schema: CreationListSchema } },
    },
    async (c, { principal, query }) =>
      c.json(await listCreationsByOwner(c.env.DB, principal.id, query.limit, query.cursor)),
  ),
  defineRoute(
    {
      method: "post",
      path: "/v1/creations",
      operationId: "createCreation",
      summary: "Create a creation owned by the caller",
      description:
        "Returns its rct_ token and webhook secret; neither is shown again (rotate to get new ones) — except to a retry with the same Idempotency-Key, which gets the same creation back.",
      tag,
      auth: ["user"],
      mintsCredentials: true,
      body: v.optional(CreateCreationSchema, {}),
      responses: { 201: { description: "The new creation", schema: CreatedCreationSchema } },
    },
    async (c, { principal, body }) => {
      // With a key the id is derived from it, so a retry reaches the creation it made before.
      const key = idempotencyKey(c, undefined);
      const id = key ? await derivedUuid(`creation:${principal.id}:${key}`) : crypto.randomUUID();
      const { creation: created, replayed } = await creation(c.env, id).initialize({
        id,
        owner: principal.id,
        ...body,
        ...(key ? { idempotency_key: key } : {}),
      });
      c.header("Location", `/v1/creations/${id}`);
      return reply(c, { body: created, replayed }, 201);
    },
  ),
  defineRoute(
    {
      method: "get",
      path: "/v1/creations/:id",
      operationId: "getCreation",
      summary: "Read a creation (owner, admin, or the creation's own token)",
      tag,
      auth: ["user", "service", "creation"],
      scope: "creation:read",
      creationParam: "id",
      credentialCheck: "actor",
      params: CreationParamsSchema,
      responses: { 200: { description: "The creation", schema: CreationSchema } },
    },
    async (c, { principal, params }) => c.json(await creation(c.env, params.id).get(principal)),
  ),
  defineRoute(
    {
      method: "patch",
      path: "/v1/creations/:id",
      operationId: "updateCreation",
      summary: "Change a creation's settings (owner)",
      tag,
      auth: ["user", "service"],
      params: CreationParamsSchema,
      body: UpdateCreationSchema,
      responses: { 200: { description: "The updated creation", schema: CreationSchema } },
    },
    async (c, { principal, params, body }) =>
      c.json(await creation(c.env, params.id).update(principal, body)),
  ),
  rotateToken("/v1/creations/:id/rotate-token", "rotateCreationToken"),
  // Seed 000's path for the same operation, so its clients only change the base URL.
  rotateToken("/v1/creations/:id/wallet/rotate-token", "rotateCreationTokenLegacy"),
  defineRoute(
    {
      method: "post",
      path: "/v1/creations/:id/rotate-webhook-secret",
      operationId: "rotateWebhookSecret",
      summary: "Replace the secret that signs the creation's webhooks (owner)",
      tag,
      auth: ["user", "service"],
      mintsCredentials: true,
      params: CreationParamsSchema,
      responses: {
        200: { description: "The new secret, shown once", schema: RotatedWebhookSecretSchema },
      },
    },
    async (c, { principal, params }) =>
      c.json(await creation(c.env, params.id).rotateWebhookSecret(principal)),
  ),
];
