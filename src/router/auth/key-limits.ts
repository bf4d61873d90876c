// What a secret key may do beyond proving its creation: its scopes and its mode, as the route
// declares them (RouteSpec.scope, RouteSpec.liveKeysOnly). Tokens and other principals pass.

import { ApiError } from "../../shared/errors.ts";
import { isKeyPrincipal, type Principal } from "../../shared/schemas/principal.ts";
import type { RouteSpec } from "../route.ts";

export function requireKeyAllows(
  principal: Principal,
  spec: Pick<RouteSpec<never, never, never, never>, "scope" | "liveKeysOnly">,
): void {
  if (principal.type !== "creation" || !isKeyPrincipal(principal)) return;
  if (spec.liveKeysOnly && principal.mode === "test") {
    throw new ApiError(
      "TEST_KEY_NOT_ALLOWED",
      "Test keys do not move credits; use a live key (sk_live_…) for this route.",
    );
  }
  if (principal.scopes === null || spec.scope === null) return;
  if (spec.scope === undefined || !principal.scopes.includes(spec.scope)) {
    throw new ApiError(
      "KEY_SCOPE_DENIED",
      spec.scope === undefined
        ? "A key with scopes may not call this route; use a key without scopes."
        : `This key lacks the scope "${spec.scope}".`,
      { required_scope: spec.scope ?? null, scopes: principal.scopes },
    );
  }
}
