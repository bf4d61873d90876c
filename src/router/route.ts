// A route is data (method, path, who may call it, its schemas and responses) plus a handler.
// The same definition registers the Hono route and generates its OpenAPI operation, so the
// document cannot drift from what the router enforces.

import type * as v from "valibot";
import type { PublishableKeyInfo } from "../shared/schemas/api-key.ts";
import type { ApiKeyScope } from "../shared/schemas/api-key-scopes.ts";
import type { Principal, PrincipalType } from "../shared/schemas/principal.ts";
import type { AppContext } from "./context.ts";
import type { InputSchema } from "./input.ts";

export type HttpMethod = "get" | "post" | "put" | "patch" | "delete";

/** "public" routes skip authentication; "optional" ones authenticate credentials when sent
 * (any kind) and run without a principal otherwise; the rest list the kinds they admit. */
export type Access = "public" | "optional" | readonly PrincipalType[];

export interface ResponseSpec {
  description: string;
  schema?: v.GenericSchema;
  /** Media type when not JSON, e.g. "text/html". */
  mediaType?: string;
  /** The same answer as a stream when the request asks for one (`stream: true`), e.g.
   *  "text/event-stream": documented beside the schema's media type. */
  streamMediaType?: string;
}

export interface RouteSpec<
  A extends Access,
  P extends InputSchema | undefined,
  Q extends InputSchema | undefined,
  B extends InputSchema | undefined,
> {
  method: HttpMethod;
  /** Hono path syntax: `/v1/creations/:id`. */
  path: string;
  operationId: string;
  summary: string;
  description?: string;
  tag: string;
  auth: A;
  /**
   * The handler answers a repeated Idempotency-Key (or body `reference_id`) with the stored
   * answer, so a signed request carrying a key may be resent verbatim (see auth/replay.ts).
   */
  idempotent?: true;
  /** The path parameter naming a creation: a creation token may only act on its own. */
  creationParam?: string;
  /**
   * "actor": the actor this route calls checks that a creation's credential still stands (an
   * `rct_` token's version is current, a secret key is not revoked): CreationDO, and WalletDO on
   * its creation's wallet. The router then does not ask the creation's actor first. Only for
   * such routes: test/token-revocation.test.ts and test/api-keys.test.ts prove each.
   */
  credentialCheck?: "actor";
  /** What a secret key with `scopes` needs to call this route; null: any key (routes that only
   *  say who the caller is). Every route open to creation principals says which
   *  (test/api-keys.test.ts); a scoped key is refused where it is left out. */
  scope?: ApiKeyScope | null;
  /** The route moves credits: a test key (`sk_test_…`) is refused, a live key is needed. */
  liveKeysOnly?: true;
  /** A browser-safe route that takes `X-Publishable-Key`: "required", or "optional" (the
   *  handler gets null without one). Every other route refuses the header. */
  publishableKey?: "required" | "optional";
  /** The route hands out a credential (a key, a token, a secret): each request counts against
   *  the edge limit's "credentials" class for its client address, before authentication
   *  (middleware/edge-limit.ts). */
  mintsCredentials?: true;
  /** Why a route with auth "public" stays out of the edge limit's "public" class (it checks a
   *  credential of its own, or its callers must never be refused): said once, beside the route. */
  edgeLimitExempt?: string;
  params?: P;
  query?: Q;
  body?: B;
  responses: Record<number, ResponseSpec>;
}

type Output<S> = S extends InputSchema ? v.InferOutput<S> : undefined;

export interface RouteInput<A extends Access, P, Q, B> {
  principal: A extends "public" ? null : A extends "optional" ? Principal | null : Principal;
  /** The creation a publishable key named, on routes that take one (else null). */
  publishable: PublishableKeyInfo | null;
  params: Output<P>;
  query: Output<Q>;
  body: Output<B>;
}

export type RouteHandler<A extends Access, P, Q, B> = (
  c: AppContext,
  input: RouteInput<A, P, Q, B>,
) => Response | Promise<Response>;

export interface RouteDefinition {
  spec: RouteSpec<
    Access,
    InputSchema | undefined,
    InputSchema | undefined,
    InputSchema | undefined
  >;
  // biome-ignore lint/suspicious/noExplicitAny: the concrete input type is checked in defineRoute.
  handler: RouteHandler<Access, any, any, any>;
}

export function defineRoute<
  const A extends Access,
  P extends InputSchema | undefined = undefined,
  Q extends InputSchema | undefined = undefined,
  B extends InputSchema | undefined = undefined,
>(spec: RouteSpec<A, P, Q, B>, handler: RouteHandler<A, P, Q, B>): RouteDefinition {
  return { spec, handler } as unknown as RouteDefinition;
}
