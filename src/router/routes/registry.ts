// Seed 004's subdomain registry API under /registry, on the same actors as /v1/subdomains, so
// its clients switch by changing a base URL. Its bodies are camelCase; where the seed gives
// no body, the choice is documented in docs/architecture.md ("Registry compatibility").

import { listClaimedSubdomains, listReservations } from "../../projections/subdomains.ts";
import { reservedNames } from "../../shared/config.ts";
import { type ApiError, asApiError } from "../../shared/errors.ts";
import { REGISTRY_JSON_MAX_ENTRIES, SUBDOMAINS_PAGE_MAX } from "../../shared/limits.ts";
import {
  RegistryAccessQuerySchema,
  RegistryInviteBodySchema,
  RegistryNameBodySchema,
  RegistryNameParamsSchema,
} from "../../shared/schemas/registry.ts";
import type { AppContext } from "../context.ts";
import { defineRoute, type RouteDefinition } from "../route.ts";
import { claimFor, subdomainActor } from "./subdomains.ts";
import { stripeWebhook } from "./webhooks.ts";

const tag = "registry (seed 004)";

/** The seed's error bodies: `{ reason: "quota_exceeded", current, limit }` for quotas, and
 * `{ error, reason }` (reason = the native code in lower case) for everything else. */
function registryError(c: AppContext, problem: ApiError) {
  if (problem.code === "QUOTA_EXCEEDED") {
    const { current, limit } = problem.extensions;
    return c.json({ reason: "quota_exceeded", current, limit }, 403);
  }
  return c.json({ error: problem.detail, reason: problem.code.toLowerCase() }, problem.status);
}

/** Runs a handler and renders the errors it throws in the seed's shape. */
async function seedErrors(c: AppContext, run: () => Promise<Response>): Promise<Response> {
  try {
    return await run();
  } catch (error) {
    const problem = asApiError(error);
    if (!problem || problem.status >= 500) throw error;
    return registryError(c, problem);
  }
}

export const registryRoutes: RouteDefinition[] = [
  defineRoute(
    {
      method: "post",
      path: "/registry/claim",
      operationId: "registryClaim",
      summary: "Claim { subdomain } for the caller (seed 004)",
      tag,
      auth: ["user"],
      body: RegistryNameBodySchema,
      responses: { 200: { description: "{ success, subdomain, ownerId, claimedAt }" } },
    },
    (c, { principal, body }) =>
      seedErrors(c, async () => {
        const claimed = await claimFor(c.env, principal, body.subdomain);
        return c.json({
          success: true,
          subdomain: claimed.name,
          ownerId: claimed.owner,
          claimedAt: claimed.claimed_at,
        });
      }),
  ),
  defineRoute(
    {
      method: "get",
      path: "/registry/check/:subdomain",
      operationId: "registryCheck",
      summary: "Whether a name can be claimed (seed 004)",
      tag,
      auth: "public",
      params: RegistryNameParamsSchema,
      responses: { 200: { description: "{ subdomain, available, reason? }" } },
    },
    (c, { params }) =>
      seedErrors(c, async () => {
        const { name, actor } = subdomainActor(c.env, params.subdomain);
        const found = await actor.get(name, null);
        const reason = found.owner
          ? "claimed"
          : found.preallocated
            ? "preallocated"
            : found.reserved
              ? "reserved"
              : undefined;
        return c.json({
          subdomain: name,
          available: found.available,
          ...(reason ? { reason } : {}),
        });
      }),
  ),
  defineRoute(
    {
      method: "post",
      path: "/registry/invite",
      operationId: "registryInvite",
      summary: "Add a collaborator email to a subdomain the caller owns (seed 004)",
      tag,
      auth: ["user"],
      body: RegistryInviteBodySchema,
      responses: { 200: { description: "{ success, subdomain, collaborators }" } },
    },
    (c, { principal, body }) =>
      seedErrors(c, async () => {
        const { name, actor } = subdomainActor(c.env, body.subdomain);
        const updated = await actor.invite(name, principal, {
          email: body.email,
          right: body.right,
        });
        return c.json({
          success: true,
          subdomain: name,
          collaborators: seedCollaborators(updated.collaborators ?? []),
        });
      }),
  ),
  defineRoute(
    {
      method: "post",
      path: "/registry/join",
      operationId: "registryJoin",
      summary: "Redeem an invitation with the caller's verified email (seed 004)",
      tag,
      auth: ["user"],
      body: RegistryNameBodySchema,
      responses: { 200: { description: "{ success, subdomain, role }" } },
    },
    (c, { principal, body }) =>
      seedErrors(c, async () => {
        const { name, actor } = subdomainActor(c.env, body.subdomain);
        if (principal.type !== "user") throw new Error("unreachable: the route admits users only");
        await actor.join(name, principal);
        return c.json({ success: true, subdomain: name, role: "collaborator" });
      }),
  ),
  defineRoute(
    {
      method: "get",
      path: "/registry/check/:subdomain/access",
      operationId: "registryAccess",
      summary: "{ hasAccess, role } of a user on a name; false while frozen (seed 004)",
      tag,
      auth: "public",
      params: RegistryNameParamsSchema,
      query: RegistryAccessQuerySchema,
      responses: { 200: { description: '{ hasAccess, role: "owner" | "collaborator" | "none" }' } },
    },
    (c, { params, query }) =>
      seedErrors(c, async () => {
        const { name, actor } = subdomainActor(c.env, params.subdomain);
        const access = await actor.access(name, query.userId);
        const role = access.role === "invited" ? "none" : access.role;
        return c.json({ hasAccess: access.has_access, role });
      }),
  ),
  defineRoute(
    {
      method: "get",
      path: "/registry/resolve/:subdomain",
      operationId: "registryResolve",
      summary: "{ role, frozen } for the caller, who may be anonymous (seed 004)",
      tag,
      auth: "optional",
      scope: "subdomains:read",
      params: RegistryNameParamsSchema,
      responses: {
        200: {
          description:
            '{ role: "unclaimed" | "owner" | "collaborator" | "invited" | "none", frozen }',
        },
      },
    },
    (c, { principal, params }) =>
      seedErrors(c, async () => {
        const { name, actor } = subdomainActor(c.env, params.subdomain);
        const visitor =
          principal?.type === "user" ? { id: principal.id, email: principal.email } : null;
        return c.json(await actor.resolve(name, visitor));
      }),
  ),
  defineRoute(
    {
      method: "get",
      path: "/registry/registry.json",
      operationId: "registryJson",
      summary: "Every claim in the seed's monolithic layout, rebuilt from the D1 projection",
      tag,
      auth: "public",
      responses: { 200: { description: "{ claims, reserved, preallocated, truncated }" } },
    },
    async (c) => c.json(await registryDocument(c.env)),
  ),
  {
    ...stripeWebhook,
    spec: { ...stripeWebhook.spec, path: "/registry/webhook", operationId: "registryWebhook", tag },
  },
];

type NativeCollaborator = {
  email: string;
  user_id: string | null;
  status: string;
  right: string;
  invited_at: string;
  joined_at: string | null;
};

function seedCollaborators(collaborators: readonly NativeCollaborator[]) {
  return collaborators.map((c) => ({
    email: c.email,
    ...(c.user_id ? { userId: c.user_id } : {}),
    status: c.status,
    right: c.right,
    invitedAt: c.invited_at,
    ...(c.joined_at ? { joinedAt: c.joined_at } : {}),
  }));
}

/** The seed's blob: claims by name with its per-key record shape, plus the config keys. */
async function registryDocument(env: Env) {
  const claims: Record<string, unknown> = {};
  let after = "";
  let count = 0;
  for (;;) {
    const page = await listClaimedSubdomains(env.DB, { after, limit: SUBDOMAINS_PAGE_MAX });
    for (const row of page) {
      claims[row.name] = {
        ownerId: row.owner_id,
        claimedAt: row.claimed_at,
        status: row.status,
        ...(row.frozen_at ? { frozenAt: row.frozen_at } : {}),
        collaborators: seedCollaborators(row.collaborators),
      };
    }
    count += page.length;
    if (page.length < SUBDOMAINS_PAGE_MAX || count >= REGISTRY_JSON_MAX_ENTRIES) break;
    after = page.at(-1)?.name ?? "";
  }
  const overrides = await listReservations(env.DB);
  const preallocated = Object.fromEntries(
    overrides.filter((row) => row.preallocated_to).map((row) => [row.name, row.preallocated_to]),
  );
  return {
    claims,
    reserved: reservedNames(env, overrides),
    preallocated,
    truncated: count >= REGISTRY_JSON_MAX_ENTRIES,
  };
}
