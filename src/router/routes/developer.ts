// Seed 002's developer surface: register (a project with its key), regenerate the key, read the
// project's usage. In troupe a developer's project is a creation and its API key a live secret
// key. The seed let anyone register with an email; here registration takes a signed-in user,
// who owns the creation, and is rate-limited per IP at the edge like every credential minting.

import * as v from "valibot";
import { periodOf } from "../../actors/creation/metering/period.ts";
import { actorByName } from "../../actors/refusal.ts";
import { clock } from "../../shared/clock.ts";
import { USAGE_TOP_USERS_PAGE_DEFAULT } from "../../shared/limits.ts";
import { CreationNameSchema } from "../../shared/schemas/creation.ts";
import { DEFAULT_METER, UsageSummarySchema } from "../../shared/schemas/usage.ts";
import { defineRoute } from "../route.ts";

const tag = "developer";
const creation = (env: Env, id: string) => actorByName(env.CREATION, id);

const RegisterSchema = v.object({ name: v.optional(CreationNameSchema) });

const KeyIssuedSchema = v.object({
  success: v.literal(true),
  platformId: v.string(),
  apiKey: v.string(),
  key_id: v.string(),
  message: v.string(),
});

export const developerRoutes = [
  defineRoute(
    {
      method: "post",
      path: "/v1/developer/register",
      operationId: "registerDeveloper",
      summary:
        "Seed 002's registration: a new creation owned by the caller and its live secret key",
      description:
        "platformId is the creation's id; apiKey a live secret key (sk_live_…), shown once. Use it as the Bearer token of the creation's routes, e.g. POST /v1/creations/{platformId}/usage/track.",
      tag,
      auth: ["user"],
      mintsCredentials: true,
      body: v.optional(RegisterSchema, {}),
      responses: { 201: { description: "Registered", schema: KeyIssuedSchema } },
    },
    async (c, { principal, body }) => {
      const id = crypto.randomUUID();
      const project = creation(c.env, id);
      await project.initialize({
        id,
        owner: principal.id,
        ...(body.name ? { name: body.name } : {}),
      });
      const key = await project.createKey(principal, {
        kind: "secret",
        mode: "live",
        name: "developer",
      });
      return c.json(
        {
          success: true,
          platformId: id,
          apiKey: key.key,
          key_id: key.id,
          message:
            "Developer registered successfully. Save your API key - it will not be shown again.",
        },
        201,
      );
    },
  ),
  defineRoute(
    {
      method: "post",
      path: "/v1/developer/regenerate-key",
      operationId: "regenerateDeveloperKey",
      summary: "Replace the secret key sent as the bearer token: the old one is revoked at once",
      tag,
      auth: ["creation"],
      credentialCheck: "actor",
      scope: null,
      mintsCredentials: true,
      responses: {
        201: { description: "The new key, shown once", schema: KeyIssuedSchema },
        403: { description: "FORBIDDEN: send a secret key, not a creation token" },
      },
    },
    async (c, { principal }) => {
      const key = await creation(c.env, principal.id).regenerateKey(principal);
      return c.json(
        {
          success: true,
          platformId: principal.id,
          apiKey: key.key,
          key_id: key.id,
          message: "API key regenerated. Save it - it will not be shown again.",
        },
        201,
      );
    },
  ),
  defineRoute(
    {
      method: "get",
      path: "/v1/developer/usage",
      operationId: "getDeveloperUsage",
      summary: "The calling creation's usage this month (its key's mode): per day, tier, top users",
      tag,
      auth: ["creation"],
      credentialCheck: "actor",
      scope: "usage:read",
      responses: { 200: { description: "This month", schema: UsageSummarySchema } },
    },
    async (c, { principal }) =>
      c.json(
        await creation(c.env, principal.id).usageSummary(principal, {
          period: periodOf(clock.now()).id,
          meter: DEFAULT_METER,
          limit: USAGE_TOP_USERS_PAGE_DEFAULT,
        }),
      ),
  ),
];
