// Where a publishable key may be used from. A browser always sends Origin on cross-origin calls
// and on every POST; a key restricted to origins is refused when the page's origin is not
// listed, and when there is no Origin at all (a server replaying the key is not a listed page).

import { ApiError } from "../../shared/errors.ts";
import type { ApiKeyRow } from "./api-keys.ts";

export function requireAllowedOrigin(key: ApiKeyRow, origin: string | null): void {
  if (key.allowed_origins === null) return;
  const allowed = JSON.parse(key.allowed_origins) as string[];
  if (origin !== null && allowed.includes(origin)) return;
  throw new ApiError(
    "ORIGIN_NOT_ALLOWED",
    origin === null
      ? "This publishable key works only from its allowed origins, and the request has no Origin."
      : `This publishable key does not work from ${origin}.`,
    { origin },
  );
}
