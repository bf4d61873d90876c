// What a secret key may be limited to. Each route that admits a creation's credentials names
// the one scope it needs (RouteSpec.scope); a key with `scopes` works only on those routes. A
// scope's bit is its position here and is signed into the key: append new scopes, never
// reorder or remove one (a key minted today must mean the same tomorrow).

import * as v from "valibot";

export const API_KEY_SCOPES = [
  "creation:read",
  "wallet:read",
  "wallet:write",
  "users:charge",
  "schedules:read",
  "schedules:write",
  "rooms:write",
  "subdomains:read",
  "users:verify",
  "ai:generate",
  "usage:track",
  "usage:read",
  "plans:write",
  "sales:read",
  "entitlements:consume",
  "deposits:settle",
] as const;

export type ApiKeyScope = (typeof API_KEY_SCOPES)[number];

export const ApiKeyScopeSchema = v.picklist(API_KEY_SCOPES);

export function scopesToMask(scopes: readonly ApiKeyScope[]): number {
  let mask = 0;
  for (const scope of scopes) mask |= 1 << API_KEY_SCOPES.indexOf(scope);
  return mask >>> 0;
}

/** The scopes a mask names, in catalogue order; bits of no known scope are ignored. */
export function scopesFromMask(mask: number): ApiKeyScope[] {
  return API_KEY_SCOPES.filter((_, bit) => (mask & (1 << bit)) !== 0);
}
