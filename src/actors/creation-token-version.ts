// Whether an `rct_` token is still current. The HMAC (checked at the edge) proves a token was
// minted here for some version; only the newest version is honoured, so a rotation revokes every
// earlier token. Whoever knows the current version decides: the creation's own actor, its wallet
// (which the creation tells before a rotation answers), or the router for routes whose actor
// knows neither (auth/creation-token.ts). See docs/architecture.md, "Creation tokens".

import { ApiError } from "../shared/errors.ts";
import type { CreationTokenPrincipal } from "../shared/schemas/principal.ts";

/** Refuses a token older than `current` (401 TOKEN_REVOKED) or newer than it (never minted). */
export function requireCurrentToken(caller: CreationTokenPrincipal, current: number): void {
  if (caller.token_version < current) {
    throw new ApiError("TOKEN_REVOKED", "This creation token was rotated; use the newest token.", {
      token_version: caller.token_version,
      current_version: current,
    });
  }
  if (caller.token_version > current) {
    throw new ApiError("INVALID_TOKEN", "The creation token is not genuine.");
  }
}
