// Tokens and creations for browser-suite tests, against the dev server's committed secrets.
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
