import * as v from "valibot";
import { EmailSchema, UserIdSchema } from "../ids.ts";
import { AGENT_ID_MAX_CHARS, AGENT_NAME_MAX_CHARS } from "../limits.ts";
import { ApiKeyScopeSchema } from "./api-key-scopes.ts";

/** An AI agent acting for a user (seed 000): `owner/name`, e.g. `oeway/atlas`. */
export const AgentIdSchema = v.pipe(
  v.string(),
  v.maxLength(AGENT_ID_MAX_CHARS, `must be at most ${AGENT_ID_MAX_CHARS} characters`),
  v.regex(
    /^[\x21-\x2e\x30-\x7e]+\/[\x21-\x2e\x30-\x7e]+$/,
    'must be "owner/name" (printable ASCII)',
  ),
);

export const AgentSchema = v.object({
  id: AgentIdSchema,
  name: v.nullable(v.pipe(v.string(), v.maxLength(AGENT_NAME_MAX_CHARS))),
});

/** A person signed in with a JWT, or an agent acting for them (then `agent` says which). */
export const UserPrincipalSchema = v.object({
  type: v.literal("user"),
  id: UserIdSchema,
  email: v.nullable(EmailSchema),
  admin: v.boolean(),
  /** The token's email_verified claim, when it has one. */
  email_verified: v.optional(v.boolean()),
  /** Present only when an agent acts for the user: everything it does is attributed to it. */
  agent: v.optional(AgentSchema),
});

/** The platform's own backend, proven by a request signature. */
export const ServicePrincipalSchema = v.object({
  type: v.literal("service"),
  id: v.literal("platform"),
  /** Which entry of SERVICE_SECRETS matched (0 = newest), to see when an old one is unused. */
  secret_index: v.pipe(v.number(), v.integer(), v.minValue(0)),
});

/** The version an `rct_` token was minted for; a rotation makes the next one current. */
export const TokenVersionSchema = v.pipe(v.number(), v.integer(), v.minValue(1));

/** A creation's own backend, proven by its `rct_` token. */
export const CreationTokenPrincipalSchema = v.object({
  type: v.literal("creation"),
  id: v.string(),
  token_version: TokenVersionSchema,
});

/** A creation's own backend, proven by one of its secret keys (`sk_live_…` / `sk_test_…`). */
export const CreationKeyPrincipalSchema = v.object({
  type: v.literal("creation"),
  id: v.string(),
  key_id: v.string(),
  mode: v.picklist(["live", "test"]),
  /** null: every scope. */
  scopes: v.nullable(v.array(ApiKeyScopeSchema)),
  /** Hex SHA-256 of the key: the key's actor compares it with what it stores. */
  key_hash: v.string(),
});

export const CreationPrincipalSchema = v.union([
  CreationTokenPrincipalSchema,
  CreationKeyPrincipalSchema,
]);

export const PrincipalSchema = v.union([
  UserPrincipalSchema,
  ServicePrincipalSchema,
  CreationTokenPrincipalSchema,
  CreationKeyPrincipalSchema,
]);

export type UserPrincipal = v.InferOutput<typeof UserPrincipalSchema>;
export type Agent = v.InferOutput<typeof AgentSchema>;
export type ServicePrincipal = v.InferOutput<typeof ServicePrincipalSchema>;
export type CreationPrincipal = v.InferOutput<typeof CreationPrincipalSchema>;
export type CreationTokenPrincipal = v.InferOutput<typeof CreationTokenPrincipalSchema>;
export type CreationKeyPrincipal = v.InferOutput<typeof CreationKeyPrincipalSchema>;
export type Principal = v.InferOutput<typeof PrincipalSchema>;
export type PrincipalType = Principal["type"];

/** Whether a creation's caller came with a secret key rather than its `rct_` token. */
export function isKeyPrincipal(caller: CreationPrincipal): caller is CreationKeyPrincipal {
  return "key_id" in caller;
}
