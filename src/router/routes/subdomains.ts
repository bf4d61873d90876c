import { actorByName } from "../../actors/refusal.ts";
import { ApiError } from "../../shared/errors.ts";
import type { Principal } from "../../shared/schemas/principal.ts";
import {
  AccessQuerySchema,
  AccessSchema,
  CollaboratorParamsSchema,
  InviteSchema,
  MySubdomainsSchema,
  parseSubdomain,
  SubdomainParamsSchema,
  SubdomainSchema,
} from "../../shared/schemas/subdomain.ts";
import { defineRoute } from "../route.ts";

const tag = "subdomains";

/** The canonical name (400 INVALID_SUBDOMAIN otherwise) and the actor that owns it. */
export function subdomainActor(env: Env, raw: string) {
  const name = parseSubdomain(raw);
  return { name, actor: actorByName(env.SUBDOMAIN, name) };
}

export const userActor = (env: Env, userId: string) => actorByName(env.USER, userId);

/** Claims `raw` for the calling user through their UserDO (quota, then the name's actor). */
export function claimFor(env: Env, caller: Principal, raw: string) {
  if (caller.type !== "user") throw new ApiError("FORBIDDEN", "Only a user claims a subdomain.");
  return userActor(env, caller.id).claim(caller.id, caller, raw);
}

const notFound = { description: "SUBDOMAIN_NOT_FOUND" };

export const subdomainRoutes = [
  defineRoute(
    {
      method: "post",
      path: "/v1/subdomains/:name/claim",
      operationId: "claimSubdomain",
      summary: "Claim a free name: the first claim wins, within the caller's plan quota",
      description:
        "409 SUBDOMAIN_TAKEN, 403 SUBDOMAIN_RESERVED / SUBDOMAIN_PREALLOCATED / QUOTA_EXCEEDED (with current and limit), 400 INVALID_SUBDOMAIN. Claiming a name the caller already owns returns it again.",
      tag,
      auth: ["user"],
      params: SubdomainParamsSchema,
      responses: {
        201: { description: "The claimed name", schema: SubdomainSchema },
        409: { description: "SUBDOMAIN_TAKEN" },
      },
    },
    async (c, { principal, params }) => c.json(await claimFor(c.env, principal, params.name), 201),
  ),
  defineRoute(
    {
      method: "get",
      path: "/v1/subdomains/:name",
      operationId: "getSubdomain",
      summary: "Whether a name is free, who holds it and its status; members see collaborators",
      tag,
      auth: "optional",
      scope: "subdomains:read",
      params: SubdomainParamsSchema,
      responses: { 200: { description: "The name", schema: SubdomainSchema } },
    },
    async (c, { principal, params }) => {
      const { name, actor } = subdomainActor(c.env, params.name);
      return c.json(await actor.get(name, principal));
    },
  ),
  defineRoute(
    {
      method: "delete",
      path: "/v1/subdomains/:name",
      operationId: "releaseSubdomain",
      summary: "Give a name up (its owner, an admin or the platform)",
      tag,
      auth: ["user", "service"],
      params: SubdomainParamsSchema,
      responses: { 204: { description: "Released" }, 404: notFound },
    },
    async (c, { principal, params }) => {
      const { name, actor } = subdomainActor(c.env, params.name);
      await actor.release(name, principal);
      return c.body(null, 204);
    },
  ),
  defineRoute(
    {
      method: "post",
      path: "/v1/subdomains/:name/invites",
      operationId: "inviteCollaborator",
      summary: "Invite an email as a collaborator (the owner or an admin)",
      tag,
      auth: ["user", "service"],
      params: SubdomainParamsSchema,
      body: InviteSchema,
      responses: {
        201: { description: "The name with its collaborators", schema: SubdomainSchema },
      },
    },
    async (c, { principal, params, body }) => {
      const { name, actor } = subdomainActor(c.env, params.name);
      return c.json(await actor.invite(name, principal, body), 201);
    },
  ),
  defineRoute(
    {
      method: "post",
      path: "/v1/subdomains/:name/join",
      operationId: "joinSubdomain",
      summary: "Accept an invitation: the email is the one in the caller's verified token",
      tag,
      auth: ["user"],
      params: SubdomainParamsSchema,
      responses: {
        200: { description: "The name with its collaborators", schema: SubdomainSchema },
      },
    },
    async (c, { principal, params }) => {
      if (principal.type !== "user") throw new ApiError("FORBIDDEN", "Only a user joins.");
      const { name, actor } = subdomainActor(c.env, params.name);
      return c.json(await actor.join(name, principal));
    },
  ),
  defineRoute(
    {
      method: "delete",
      path: "/v1/subdomains/:name/collaborators/:email",
      operationId: "removeCollaborator",
      summary: "Remove a collaborator (the owner or an admin; a collaborator may leave)",
      tag,
      auth: ["user", "service"],
      params: CollaboratorParamsSchema,
      responses: { 204: { description: "Removed" } },
    },
    async (c, { principal, params }) => {
      const { name, actor } = subdomainActor(c.env, params.name);
      // The router already percent-decoded the parameter; decoding twice would misread "%" in it.
      await actor.removeCollaborator(name, principal, params.email);
      return c.body(null, 204);
    },
  ),
  defineRoute(
    {
      method: "get",
      path: "/v1/subdomains/:name/access",
      operationId: "checkSubdomainAccess",
      summary: "A user's role on a name, and whether they may use it now (not while frozen)",
      tag,
      auth: ["user", "service", "creation"],
      scope: "subdomains:read",
      params: SubdomainParamsSchema,
      query: AccessQuerySchema,
      responses: { 200: { description: "The access", schema: AccessSchema } },
    },
    async (c, { params, query }) => {
      const { name, actor } = subdomainActor(c.env, params.name);
      return c.json(await actor.access(name, query.user_id));
    },
  ),
  defineRoute(
    {
      method: "get",
      path: "/v1/me/subdomains",
      operationId: "mySubdomains",
      summary: "The names the caller owns (with their status) and collaborates on, and the quota",
      tag,
      auth: ["user"],
      responses: { 200: { description: "The caller's names", schema: MySubdomainsSchema } },
    },
    async (c, { principal }) =>
      c.json(await userActor(c.env, principal.id).mySubdomains(principal.id, principal)),
  ),
];
