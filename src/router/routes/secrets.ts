// The secrets vault: a user's secrets and a creation's. Values are write-only: a put answers
// with the name and time, a list with names and times, and no route ever returns a value.
// Features read them through resolveCreationSecret (src/actors/secrets/resolve.ts), never here.

import { actorByName } from "../../actors/refusal.ts";
import { SECRET_VALUE_MAX_BYTES, SECRETS_PER_OWNER_MAX } from "../../shared/limits.ts";
import { CreationParamsSchema } from "../../shared/schemas/creation.ts";
import {
  CreationSecretParamsSchema,
  PutSecretSchema,
  SecretListSchema,
  SecretParamsSchema,
  SecretWrittenSchema,
} from "../../shared/schemas/secret.ts";
import { defineRoute } from "../route.ts";

const tag = "secrets";
const creation = (env: Env, id: string) => actorByName(env.CREATION, id);
const user = (env: Env, id: string) => actorByName(env.USER, id);

const PUT_RULES = `The value is encrypted at rest and never shown again by any route. At most ${SECRET_VALUE_MAX_BYTES} bytes of UTF-8 (else SECRET_TOO_LARGE) and ${SECRETS_PER_OWNER_MAX} secrets per owner (else SECRET_LIMIT_REACHED); replacing a name that exists always works.`;

const putResponses = {
  200: { description: "Replaced (the value is not echoed)", schema: SecretWrittenSchema },
  201: { description: "Created (the value is not echoed)", schema: SecretWrittenSchema },
};

export const secretRoutes = [
  defineRoute(
    {
      method: "get",
      path: "/v1/creations/:id/secrets",
      operationId: "listCreationSecrets",
      summary: "The creation's secret names and when each was set, by name (owner)",
      tag,
      auth: ["user", "service"],
      creationParam: "id",
      params: CreationParamsSchema,
      responses: { 200: { description: "Names only, never values", schema: SecretListSchema } },
    },
    async (c, { principal, params }) =>
      c.json(await creation(c.env, params.id).listSecrets(principal)),
  ),
  defineRoute(
    {
      method: "put",
      path: "/v1/creations/:id/secrets/:name",
      operationId: "putCreationSecret",
      summary: "Set one of the creation's secrets; it overrides the owner's secret of that name",
      description: PUT_RULES,
      tag,
      auth: ["user", "service"],
      creationParam: "id",
      params: CreationSecretParamsSchema,
      body: PutSecretSchema,
      responses: putResponses,
    },
    async (c, { principal, params, body }) => {
      const written = await creation(c.env, params.id).putSecret(principal, params.name, body);
      return c.json(written, written.created ? 201 : 200);
    },
  ),
  defineRoute(
    {
      method: "delete",
      path: "/v1/creations/:id/secrets/:name",
      operationId: "deleteCreationSecret",
      summary: "Remove one of the creation's secrets",
      tag,
      auth: ["user", "service"],
      creationParam: "id",
      params: CreationSecretParamsSchema,
      responses: { 204: { description: "Removed" }, 404: { description: "SECRET_NOT_FOUND" } },
    },
    async (c, { principal, params }) => {
      await creation(c.env, params.id).deleteSecret(principal, params.name);
      return c.body(null, 204);
    },
  ),
  defineRoute(
    {
      method: "get",
      path: "/v1/me/secrets",
      operationId: "listMySecrets",
      summary: "The caller's secret names and when each was set, by name",
      tag,
      auth: ["user"],
      responses: { 200: { description: "Names only, never values", schema: SecretListSchema } },
    },
    async (c, { principal }) =>
      c.json(await user(c.env, principal.id).listSecrets(principal.id, principal)),
  ),
  defineRoute(
    {
      method: "put",
      path: "/v1/me/secrets/:name",
      operationId: "putMySecret",
      summary: "Set one of the caller's secrets, used by each of their creations that has none",
      description: PUT_RULES,
      tag,
      auth: ["user"],
      params: SecretParamsSchema,
      body: PutSecretSchema,
      responses: putResponses,
    },
    async (c, { principal, params, body }) => {
      const written = await user(c.env, principal.id).putSecret(
        principal.id,
        principal,
        params.name,
        body,
      );
      return c.json(written, written.created ? 201 : 200);
    },
  ),
  defineRoute(
    {
      method: "delete",
      path: "/v1/me/secrets/:name",
      operationId: "deleteMySecret",
      summary: "Remove one of the caller's secrets",
      tag,
      auth: ["user"],
      params: SecretParamsSchema,
      responses: { 204: { description: "Removed" }, 404: { description: "SECRET_NOT_FOUND" } },
    },
    async (c, { principal, params }) => {
      await user(c.env, principal.id).deleteSecret(principal.id, principal, params.name);
      return c.body(null, 204);
    },
  ),
];
