// Content credentials (seed 000, "Level 2: token-verified"): the signed-in user's page asks for
// one, its creation's Worker checks it with POST /v1/auth/validate and its own key.

import * as v from "valibot";
import { actorByName } from "../../actors/refusal.ts";
import { clock } from "../../shared/clock.ts";
import {
  type ContentRole,
  mintContentCredential,
  readContentCredential,
} from "../../shared/content-credentials.ts";
import { ApiError } from "../../shared/errors.ts";
import { UserIdSchema } from "../../shared/ids.ts";
import { CONTENT_CREDENTIAL_TTL_SECONDS } from "../../shared/limits.ts";
import { CreationIdSchema, CreationParamsSchema } from "../../shared/schemas/creation.ts";
import type { Principal } from "../../shared/schemas/principal.ts";
import { authenticate, authenticateBackendKey } from "../auth/authenticate.ts";
import { requireKeyAllows } from "../auth/key-limits.ts";
import { requireUserEnabled } from "../auth/user-status.ts";
import type { AppContext } from "../context.ts";
import { defineRoute } from "../route.ts";

/** Where seed 000's creation Workers send their own credential to /auth/validate. */
export const INTERNAL_KEY_HEADER = "x-internal-key";

/** The body is optional for a signed-in user, who gets one for themself; the platform names
 *  the user. */
const IssueSchema = v.optional(v.strictObject({ user_id: v.optional(UserIdSchema) }), {});

/** Longest text read as a credential (one minted here is under 300 characters). */
const CONTENT_CREDENTIAL_MAX_CHARS = 1024;

const CredentialSchema = v.object({ credential: v.string(), expires_at: v.string() });

const ValidateSchema = v.strictObject({
  token: v.pipe(v.string(), v.maxLength(CONTENT_CREDENTIAL_MAX_CHARS)),
  creation_id: CreationIdSchema,
});

const ValidatedSchema = v.object({
  user_id: v.string(),
  role: v.picklist(["owner", "user"]),
  creation_id: v.string(),
  expires_at: v.string(),
});

function subjectOf(principal: Principal, body: v.InferOutput<typeof IssueSchema>): string {
  if (principal.type === "service") {
    if (!body.user_id) throw new ApiError("INVALID_REQUEST", "The platform names the user_id.");
    return body.user_id;
  }
  if (principal.type !== "user") throw new Error("the route admits users and the platform");
  if (body.user_id !== undefined && body.user_id !== principal.id) {
    throw new ApiError("FORBIDDEN", "A user gets content credentials for themself only.");
  }
  return principal.id;
}

/** The creation's backend, by its X-Internal-Key (seed 000) or the usual credential headers. */
async function creationBackend(c: AppContext, creationId: string): Promise<Principal> {
  const internal = c.req.header(INTERNAL_KEY_HEADER)?.trim();
  const principal =
    internal === undefined
      ? await authenticate(c)
      : await authenticateBackendKey(c, internal, INTERNAL_KEY_HEADER);
  if (principal.type === "user") {
    throw new ApiError("FORBIDDEN", "Content credentials are checked by the creation's backend.");
  }
  if (principal.type === "creation" && principal.id !== creationId) {
    throw new ApiError("CREATION_SCOPE_MISMATCH", "This key belongs to another creation.");
  }
  requireKeyAllows(principal, { scope: "users:verify" });
  return principal;
}

export const contentCredentialRoutes = [
  defineRoute(
    {
      method: "post",
      path: "/v1/creations/:id/content-credentials",
      operationId: "issueContentCredential",
      summary: "A short-lived credential proving the user to this creation's backend",
      description: `Valid ${CONTENT_CREDENTIAL_TTL_SECONDS} seconds, for this creation only. The creation's Worker checks it with POST /v1/auth/validate.`,
      tag: "identity",
      auth: ["user", "service"],
      params: CreationParamsSchema,
      body: IssueSchema,
      responses: { 201: { description: "The credential", schema: CredentialSchema } },
    },
    async (c, { principal, params, body }) => {
      const userId = subjectOf(principal, body);
      const [policy] = await Promise.all([
        actorByName(c.env.CREATION, params.id).roomPolicy(),
        requireUserEnabled(c.env, userId),
      ]);
      if (!policy) throw new ApiError("CREATION_NOT_FOUND", "No such creation.");
      const role: ContentRole = policy.owner === userId ? "owner" : "user";
      const expiresAt = Math.floor(clock.now() / 1000) + CONTENT_CREDENTIAL_TTL_SECONDS;
      const credential = await mintContentCredential(c.env.TOKEN_SECRET, {
        creationId: params.id,
        userId,
        role,
        expiresAt,
      });
      return c.json({ credential, expires_at: new Date(expiresAt * 1000).toISOString() }, 201);
    },
  ),
  defineRoute(
    {
      method: "post",
      path: "/v1/auth/validate",
      operationId: "validateContentCredential",
      summary: "Check a content credential: the creation's backend learns the user and role",
      description: `Send the creation's rct_ token or secret key in ${INTERNAL_KEY_HEADER} (seed 000) or as usual. A credential for another creation is 403 CONTENT_CREDENTIAL_WRONG_CREATION; expired 401 CONTENT_CREDENTIAL_EXPIRED; anything else 401 CONTENT_CREDENTIAL_INVALID.`,
      tag: "identity",
      // The creation's key comes in X-Internal-Key, so the handler authenticates.
      auth: "public",
      body: ValidateSchema,
      responses: {
        200: { description: "The user behind the credential", schema: ValidatedSchema },
      },
    },
    async (c, { body }) => {
      await creationBackend(c, body.creation_id);
      const claim = await readContentCredential(c.env.TOKEN_SECRET, body.token);
      if (!claim) {
        throw new ApiError("CONTENT_CREDENTIAL_INVALID", "The content credential is not genuine.");
      }
      if (claim.creationId !== body.creation_id) {
        throw new ApiError(
          "CONTENT_CREDENTIAL_WRONG_CREATION",
          "The content credential was issued for another creation.",
        );
      }
      if (claim.expiresAt * 1000 <= clock.now()) {
        throw new ApiError("CONTENT_CREDENTIAL_EXPIRED", "The content credential has expired.", {
          expired_at: new Date(claim.expiresAt * 1000).toISOString(),
        });
      }
      return c.json({
        user_id: claim.userId,
        role: claim.role,
        creation_id: claim.creationId,
        expires_at: new Date(claim.expiresAt * 1000).toISOString(),
      });
    },
  ),
];
