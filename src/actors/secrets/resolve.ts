// The one way a feature reads a secret (AI sessions read a creation's provider key through it).
// It calls actor methods no route exposes, so a value never travels over HTTP.

import { actorByName } from "../refusal.ts";

/**
 * The secret `name` for the creation: its own, else its owner's user secret of that name (a
 * creation's secret overrides its owner's), else null. A stored value that cannot be decrypted
 * is SECRET_UNREADABLE, never null; a creation that does not exist is CREATION_NOT_FOUND.
 */
export async function resolveCreationSecret(
  env: Env,
  creationId: string,
  name: string,
): Promise<string | null> {
  const own = await actorByName(env.CREATION, creationId).secretValue(name);
  if (own.value !== null) return own.value;
  return actorByName(env.USER, own.owner).secretValue(own.owner, name);
}
