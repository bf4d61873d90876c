// The stateless edge: request id, security headers, CORS, body limit, identity-header
// stripping, then the routes. Routes come in as data so tests can add fixtures to the same
// stack the Worker serves.

import { Hono } from "hono";
import { requestId } from "hono/request-id";
import { secureHeaders } from "hono/secure-headers";
import { requireSameCreation } from "../actors/access.ts";
import { REQUEST_ID_MAX_LENGTH } from "../shared/limits.ts";
import { authenticate, hasCredentials, requirePrincipal } from "./auth/authenticate.ts";
import { refuseReplays } from "./auth/replay.ts";
import type { AppContext, AppEnv } from "./context.ts";
import { renderDocsPage } from "./docs-page.ts";
import { parseInput, readJsonBody } from "./input.ts";
import { corsPolicy } from "./middleware/cors.ts";
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
  const principal =
    spec.auth === "public"
      ? null
      : spec.auth === "optional"
        ? hasCredentials(c)
          ? await authenticate(c)
          : null
        : await requirePrincipal(c, spec.auth, spec.tokenVersionCheck ?? "router");
  const params = spec.params ? parseInput("path", spec.params, c.req.param()) : undefined;
  if (principal && spec.creationParam) {
    requireSameCreation(principal, c.req.param(spec.creationParam) ?? "");
  }
  const query = spec.query ? parseInput("query", spec.query, c.req.query()) : undefined;
  const body = spec.body
    ? parseInput("body", spec.body, await readJsonBody(c, spec.body))
    : undefined;
  if (principal?.type === "service") await refuseReplays(c, spec, body);
  return handler(c, { principal, params, query, body });
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
