// Content credentials (seed 000, "Level 2: token-verified"): the signed-in user's page asks for
// one, its creation's Worker checks it with POST /v1/auth/validate and its own key.

import * as v from "valibot";
import { UserIdSchema } from "../../shared/ids.ts";
import { CONTENT_CREDENTIAL_TTL_SECONDS } from "../../shared/limits.ts";
import { CreationIdSchema, CreationParamsSchema } from "../../shared/schemas/creation.ts";
import {
  checkContentCredential,
  INTERNAL_KEY_HEADER,
  issueContentCredential,
  requireCreationBackend,
} from "../auth/content-credentials.ts";
import { defineRoute } from "../route.ts";

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
      mintsCredentials: true,
      params: CreationParamsSchema,
      body: IssueSchema,
      responses: { 201: { description: "The credential", schema: CredentialSchema } },
    },
    async (c, { principal, params, body }) =>
      c.json(await issueContentCredential(c.env, principal, params.id, body.user_id), 201),
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
      edgeLimitExempt:
        "It checks the creation's key first, as an authenticated route; creation Workers on Cloudflare all reach it from one address",
      body: ValidateSchema,
      responses: {
        200: { description: "The user behind the credential", schema: ValidatedSchema },
      },
    },
    async (c, { body }) => {
      await requireCreationBackend(c, body.creation_id);
      return c.json(await checkContentCredential(c.env, body.token, body.creation_id));
    },
  ),
];
