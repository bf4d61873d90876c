// Tokens and creations for browser-suite tests, against the dev server's committed secrets
// (devToken signs one itself; devSignIn asks the server's development sign-in).
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { SignJWT } from "jose";

const root = fileURLToPath(new URL("../..", import.meta.url));
const example = readFileSync(join(root, ".dev.vars.example"), "utf8");
const jwtSecret = /^AUTH_JWT_SECRET=(.+)$/m.exec(example)?.[1] ?? "";

export function devToken(sub: string): Promise<string> {
  return new SignJWT({ email: `${sub}@example.com` })
    .setProtectedHeader({ alg: "HS256" })
    .setSubject(sub)
    .setExpirationTime("1h")
    .sign(new TextEncoder().encode(jwtSecret));
}

/** A token from the server's development sign-in (POST /v1/dev/sign-in), as the examples get one. */
export async function devSignIn(baseUrl: string, userId: string): Promise<string> {
  const response = await fetch(`${baseUrl}/v1/dev/sign-in`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ user_id: userId }),
  });
  if (response.status !== 201) throw new Error(`dev sign-in: HTTP ${response.status}`);
  return ((await response.json()) as { token: string }).token;
}

export async function createCreation(
  baseUrl: string,
  ownerToken: string,
): Promise<{ id: string; token: string }> {
  const response = await fetch(`${baseUrl}/v1/creations`, {
    method: "POST",
    headers: { authorization: `Bearer ${ownerToken}` },
  });
  if (response.status !== 201) throw new Error(`creation: HTTP ${response.status}`);
  return (await response.json()) as { id: string; token: string };
}
