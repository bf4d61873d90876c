// The stateless edge: request id, security headers, CORS, body limit, identity-header
// stripping, then the routes, each behind the edge rate limit of its class. Routes come in as
// data so tests can add fixtures to the same stack the Worker serves.

import { Hono } from "hono";
import { requestId } from "hono/request-id";
import { secureHeaders } from "hono/secure-headers";
import { requireSameCreation } from "../actors/access.ts";
import { ApiError } from "../shared/errors.ts";
import { REQUEST_ID_MAX_LENGTH } from "../shared/limits.ts";
import type { UserPrincipal } from "../shared/schemas/principal.ts";
import { PUBLISHABLE_KEY_HEADER, verifyPublishableKey } from "./auth/api-key.ts";
import { authenticate, hasCredentials, requirePrincipal } from "./auth/authenticate.ts";
import { requireKeyAllows } from "./auth/key-limits.ts";
import { refuseReplays } from "./auth/replay.ts";
import type { AppContext, AppEnv } from "./context.ts";
import { renderDocsPage } from "./docs-page.ts";
import { parseInput, readJsonBody } from "./input.ts";
import { corsPolicy } from "./middleware/cors.ts";
import { enforceEdgeLimit } from "./middleware/edge-limit.ts";
import { noRoute, onError } from "./middleware/errors.ts";
import { stripIdentityHeaders } from "./middleware/identity-headers.ts";
import { requestBodyLimit } from "./middleware/limits.ts";
import { buildOpenApiDocument } from "./openapi.ts";
import type { RouteDefinition } from "./route.ts";

const CONTENT_SECURITY_POLICY = {
  defaultSrc: ["'self'"],
  scriptSrc: ["'self'"],
  styleSrc: ["'self'"],
  imgSrc: ["'self'", "data:"],
  connectSrc: ["'self'"],
  frameAncestors: ["'none'"],
};

async function handle(c: AppContext, { spec, handler }: RouteDefinition): Promise<Response> {
  // First, before any credential is verified: a flood must cost as little as possible.
  await enforceEdgeLimit(c, spec);
  const publishableKey = c.req.header(PUBLISHABLE_KEY_HEADER);
  if (publishableKey !== undefined && spec.publishableKey === undefined) {
    throw new ApiError(
      "PUBLISHABLE_KEY_NOT_ALLOWED",
      `This route does not take a publishable key; remove ${PUBLISHABLE_KEY_HEADER} and send a credential.`,
    );
  }
  const principal =
    spec.auth === "public"
      ? null
      : spec.auth === "optional"
        ? hasCredentials(c)
          ? await authenticate(c)
          : null
        : await requirePrincipal(c, spec.auth, spec.credentialCheck ?? "router");
  if (principal) requireKeyAllows(principal, spec);
  const publishable = await publishableKeyFor(c, spec, publishableKey);
  const params = spec.params ? parseInput("path", spec.params, c.req.param()) : undefined;
  if (spec.creationParam) {
    const creationId = c.req.param(spec.creationParam) ?? "";
    if (principal) requireSameCreation(principal, creationId);
    if (publishable && publishable.creation_id !== creationId) {
      throw new ApiError(
        "CREATION_SCOPE_MISMATCH",
        "This publishable key belongs to another creation.",
      );
    }
  }
  const query = spec.query ? parseInput("query", spec.query, c.req.query()) : undefined;
  const body = spec.body
    ? parseInput("body", spec.body, await readJsonBody(c, spec.body))
    : undefined;
  if (principal?.type === "service") await refuseReplays(c, spec, body);
  const response = await handler(c, { principal, publishable, params, query, body });
  if (principal?.type === "user" && principal.agent) logAgentAction(c, principal, response.status);
  return response;
}

/** Agents act for users; each thing one does is logged under its own id (seed 000). */
function logAgentAction(c: AppContext, principal: UserPrincipal, status: number): void {
  console.log(
    JSON.stringify({
      level: "info",
      event: "agent_action",
      request_id: c.get("requestId"),
      agent_id: principal.agent?.id,
      user_id: principal.id,
      method: c.req.method,
      path: c.req.path,
      status,
    }),
  );
}

/** The creation a publishable key names, on a route that takes one (it is public, so other
 *  routes refuse it before anything else: it must never pass for a credential). */
async function publishableKeyFor(
  c: AppContext,
  spec: RouteDefinition["spec"],
  key: string | undefined,
) {
  if (spec.publishableKey === undefined) return null;
  if (key === undefined) {
    if (spec.publishableKey === "optional") return null;
    throw new ApiError(
      "PUBLISHABLE_KEY_REQUIRED",
      `Send the creation's ${PUBLISHABLE_KEY_HEADER}.`,
    );
  }
  return verifyPublishableKey(c, key.trim());
}

export function createApp(routes: readonly RouteDefinition[]): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.use(requestId({ headerName: "x-request-id", limitLength: REQUEST_ID_MAX_LENGTH }));
  app.use(secureHeaders({ contentSecurityPolicy: CONTENT_SECURITY_POLICY }));
  app.use(corsPolicy);
  app.use(stripIdentityHeaders);
  app.use(requestBodyLimit);

  for (const route of routes) {
    app.on(route.spec.method.toUpperCase(), route.spec.path, (c) => handle(c, route));
  }

  const openApi = buildOpenApiDocument(routes);
  app.get("/openapi.json", (c) => c.json(openApi));
  app.get("/docs", (c) => c.html(renderDocsPage(openApi)));

  app.notFound(async (c) => {
    // Pages and their files live in public/; the API never falls through to them.
    if (c.req.method === "GET" && !c.req.path.startsWith("/v1/")) {
      const asset = await c.env.ASSETS.fetch(c.req.raw);
      if (asset.status !== 404) return asset;
    }
    return onError(noRoute(c), c);
  });
  app.onError(onError);
  return app;
}
