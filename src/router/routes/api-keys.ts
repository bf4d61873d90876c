// A creation's API keys (seed 003): secret keys for its servers, publishable keys for its
// pages. The owner or the platform manages them; a key never manages keys.

import { actorByName } from "../../actors/refusal.ts";
import {
  ApiKeyPageQuerySchema,
  ApiKeyPageSchema,
  ApiKeyParamsSchema,
  CreateApiKeySchema,
  CreatedApiKeySchema,
  PublishableKeyInfoSchema,
  RollApiKeySchema,
} from "../../shared/schemas/api-key.ts";
import { CreationParamsSchema } from "../../shared/schemas/creation.ts";
import { defineRoute } from "../route.ts";

const tag = "api keys";
const auth = ["user", "service"] as const;
const creation = (env: Env, id: string) => actorByName(env.CREATION, id);

const SHOWN_ONCE =
  "The answer is the only time the key is shown: troupe keeps its SHA-256 and first characters.";

export const apiKeyRoutes = [
  defineRoute(
    {
      method: "post",
      path: "/v1/creations/:id/keys",
      operationId: "createApiKey",
      summary: "Create a secret (sk_live_/sk_test_) or publishable (pk_live_/pk_test_) key",
      description: `${SHOWN_ONCE} A secret key authenticates as the creation (Authorization: Bearer or x-api-key), limited to its scopes when given; a test key never moves credits. A publishable key goes in X-Publishable-Key to browser-safe routes only, from its allowed_origins when given.`,
      tag,
      auth,
      mintsCredentials: true,
      params: CreationParamsSchema,
      body: CreateApiKeySchema,
      responses: {
        201: { description: "The key, shown once", schema: CreatedApiKeySchema },
        403: { description: "API_KEY_LIMIT_REACHED, or not the owner" },
      },
    },
    async (c, { principal, params, body }) =>
      c.json(await creation(c.env, params.id).createKey(principal, body), 201),
  ),
  defineRoute(
    {
      method: "get",
      path: "/v1/creations/:id/keys",
      operationId: "listApiKeys",
      summary: "The creation's keys that still work, newest first: never the key itself",
      tag,
      auth,
      params: CreationParamsSchema,
      query: ApiKeyPageQuerySchema,
      responses: { 200: { description: "One page", schema: ApiKeyPageSchema } },
    },
    async (c, { principal, params, query }) =>
      c.json(await creation(c.env, params.id).listKeys(principal, query)),
  ),
  defineRoute(
    {
      method: "delete",
      path: "/v1/creations/:id/keys/:key_id",
      operationId: "revokeApiKey",
      summary: "Revoke a key at once: from now on it is refused with 401 KEY_REVOKED",
      tag,
      auth,
      params: ApiKeyParamsSchema,
      responses: { 204: { description: "Revoked" } },
    },
    async (c, { principal, params }) => {
      await creation(c.env, params.id).revokeKey(principal, params.key_id);
      return c.body(null, 204);
    },
  ),
  defineRoute(
    {
      method: "post",
      path: "/v1/creations/:id/keys/:key_id/roll",
      operationId: "rollApiKey",
      summary: "Replace a key: the old one keeps working for grace_seconds, then KEY_REVOKED",
      description: SHOWN_ONCE,
      tag,
      auth,
      mintsCredentials: true,
      params: ApiKeyParamsSchema,
      body: RollApiKeySchema,
      responses: {
        201: { description: "The new key, shown once", schema: CreatedApiKeySchema },
        409: { description: "KEY_NOT_ACTIVE: the key was already revoked or rolled" },
      },
    },
    async (c, { principal, params, body }) =>
      c.json(await creation(c.env, params.id).rollKey(principal, params.key_id, body), 201),
  ),
  defineRoute(
    {
      method: "get",
      path: "/v1/publishable-key",
      operationId: "describePublishableKey",
      summary: "What a page's publishable key names: its creation and mode (browser-safe)",
      description:
        "Send X-Publishable-Key. A key limited to origins answers only requests whose Origin is one of them (403 ORIGIN_NOT_ALLOWED).",
      tag,
      auth: "public",
      publishableKey: "required",
      responses: { 200: { description: "The key's creation", schema: PublishableKeyInfoSchema } },
    },
    (c, { publishable }) => c.json(publishable),
  ),
];
