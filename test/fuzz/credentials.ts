// Credentials a fuzz case sends: the valid kinds of each principal, and wrong ones that must
// never get a request through (expired, unsigned, wrong key, no `exp`, revoked, replayed…).

import { env } from "cloudflare:workers";
import { SignJWT } from "jose";
import { clock } from "../../src/shared/clock.ts";
import { base64url } from "../../src/shared/crypto.ts";
import type { SignedRequest } from "../../src/shared/service-signature.ts";
import { asCreation, bearer, serviceHeaders } from "../helpers.ts";

export const FUZZ_USERS = {
  owner: { sub: "fuzz-owner", email: "fuzz-owner@example.com" },
  other: { sub: "fuzz-other", email: "fuzz-other@example.com" },
  admin: { sub: "fuzz-admin", email: "fuzz-admin@example.com", admin: true },
  // A legitimate user whose id names the prototype: user ids are printable ASCII, so this one
  // is valid, and everything keyed by user id must cope with it.
  proto: { sub: "__proto__" },
} as const;

/** Valid credentials, by the principal they make. */
export const VALID_CREDENTIALS = {
  user: ["owner", "other", "admin", "protoUser"],
  service: ["service"],
  creation: ["creation", "otherCreation", "creationApiKey", "creationSecretKey"],
} as const;

export type ValidCredential = (typeof VALID_CREDENTIALS)[keyof typeof VALID_CREDENTIALS][number];

/** Credentials that must be refused on every route that is not public. */
export const INVALID_CREDENTIALS = [
  "none",
  "garbageBearer",
  "basicAuth",
  "emptyBearer",
  "jwtWrongSecret",
  "jwtExpired",
  "jwtWithoutExp",
  "jwtAlgNone",
  "jwtOverlongSub",
  "creationRevoked",
  "creationTampered",
  "apiKeyRevoked",
  "apiKeyUserJwt",
  "apiKeyMismatch",
  "apiKeyForged",
  "secretKeyRevoked",
  "secretKeyForged",
  "publishableKeyAsBearer",
  "publishableKeyAsApiKey",
  "serviceWrongSecret",
  "serviceStale",
  "serviceOtherRequest",
  "legacySignature",
] as const;

export type InvalidCredential = (typeof INVALID_CREDENTIALS)[number];
export type Credential = ValidCredential | InvalidCredential;

export const isInvalidCredential = (credential: Credential): credential is InvalidCredential =>
  (INVALID_CREDENTIALS as readonly string[]).includes(credential);

/** Creation tokens the world holds (kept current when the fuzzer rotates them). */
export interface CreationTokens {
  creation: string;
  otherCreation: string;
  revoked: string;
  /** The fuzz creation's keys: a live secret key, a revoked one, a publishable one. */
  secretKey: string;
  revokedSecretKey: string;
  publishableKey: string;
}

/** Any text as a bearer token (helpers' bearer() and asCreation() send genuine ones). */
const bearerOf = (token: string) => ({ authorization: `Bearer ${token}` });
const base64urlJson = (value: unknown) =>
  base64url(new TextEncoder().encode(JSON.stringify(value)));

/** The headers that carry `credential` for this request (`pathAndQuery` as the server will see
 * it, after URL parsing). */
export async function credentialHeaders(
  credential: Credential,
  request: SignedRequest,
  tokens: CreationTokens,
): Promise<Record<string, string>> {
  const now = Math.floor(clock.now() / 1000);
  switch (credential) {
    case "owner":
      return bearer(FUZZ_USERS.owner);
    case "other":
      return bearer(FUZZ_USERS.other);
    case "admin":
      return bearer(FUZZ_USERS.admin);
    case "protoUser":
      return bearer(FUZZ_USERS.proto);
    case "service":
      return serviceHeaders(request.method, request.pathAndQuery, request.body);
    case "creation":
      return asCreation(tokens.creation);
    case "otherCreation":
      return asCreation(tokens.otherCreation);
    case "none":
      return {};
    case "garbageBearer":
      return bearerOf("not-a-token");
    case "basicAuth":
      return { authorization: `Basic ${btoa("fuzz-owner:password")}` };
    case "emptyBearer":
      return { authorization: "Bearer " };
    case "jwtWrongSecret":
      return bearer({ ...FUZZ_USERS.owner, secret: "not-the-secret-0123456789" });
    case "jwtExpired":
      return bearer({ ...FUZZ_USERS.owner, expiresInSeconds: -3600 });
    case "jwtWithoutExp":
      // Correctly signed but never expiring: a leaked token would work forever.
      return bearerOf(
        await new SignJWT({ email: FUZZ_USERS.owner.email })
          .setProtectedHeader({ alg: "HS256" })
          .setSubject(FUZZ_USERS.owner.sub)
          .setIssuedAt(now - 60)
          .sign(new TextEncoder().encode(env.AUTH_JWT_SECRET)),
      );
    case "jwtAlgNone": {
      const header = base64urlJson({ alg: "none", typ: "JWT" });
      const payload = base64urlJson({
        sub: FUZZ_USERS.owner.sub,
        role: "admin",
        iat: now,
        exp: now + 3600,
      });
      return bearerOf(`${header}.${payload}.`);
    }
    case "jwtOverlongSub":
      return bearer({ sub: "u".repeat(10_000) });
    case "creationApiKey":
      return { "x-api-key": tokens.creation };
    case "creationSecretKey":
      return { authorization: `Bearer ${tokens.secretKey}` };
    case "secretKeyRevoked":
      return { "x-api-key": tokens.revokedSecretKey };
    case "secretKeyForged": {
      // A genuine key with its last tag character changed: refused at the edge.
      const last = tokens.secretKey.at(-1) === "A" ? "B" : "A";
      return { "x-api-key": `${tokens.secretKey.slice(0, -1)}${last}` };
    }
    case "publishableKeyAsBearer":
      return bearerOf(tokens.publishableKey);
    case "publishableKeyAsApiKey":
      return { "x-api-key": tokens.publishableKey };
    case "creationRevoked":
      return asCreation(tokens.revoked);
    case "apiKeyRevoked":
      return { "x-api-key": tokens.revoked };
    case "apiKeyUserJwt":
      // A genuine user's JWT where a key belongs: never taken as the user.
      return {
        "x-api-key": (await bearer(FUZZ_USERS.owner)).authorization.slice("Bearer ".length),
      };
    case "apiKeyForged":
      // The shape of a creation token naming the prototype, with no genuine tag: refused by
      // the HMAC before any actor is asked about a creation called __proto__.
      return { "x-api-key": "rct___proto__.1.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA" };
    case "apiKeyMismatch":
      // Two genuine identities in one request: neither is taken.
      return { "x-api-key": tokens.creation, ...asCreation(tokens.otherCreation) };
    case "creationTampered":
      return asCreation(
        `${tokens.creation.slice(0, -4)}${tokens.creation.endsWith("0000") ? "1111" : "0000"}`,
      );
    case "serviceWrongSecret":
      return serviceHeaders(request.method, request.pathAndQuery, request.body, {
        secret: "not-a-service-secret",
      });
    case "serviceStale":
      return serviceHeaders(request.method, request.pathAndQuery, request.body, {
        nowSeconds: now - 3600,
      });
    case "serviceOtherRequest":
      // A genuine signature of another request, replayed onto this one.
      return serviceHeaders(request.method, "/v1/me", `${request.body} `);
    case "legacySignature":
      // Seed 001's replayable signature: disabled unless LEGACY_BODY_SIGNATURE is "true".
      return { "x-sheen-signature": "0".repeat(64) };
  }
}
