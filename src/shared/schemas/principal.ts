import * as v from "valibot";
import { EmailSchema, UserIdSchema } from "../ids.ts";

/** A person signed in with a JWT. */
export const UserPrincipalSchema = v.object({
  type: v.literal("user"),
  id: UserIdSchema,
  email: v.nullable(EmailSchema),
  admin: v.boolean(),
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
export const CreationPrincipalSchema = v.object({
  type: v.literal("creation"),
  id: v.string(),
  token_version: TokenVersionSchema,
});

export const PrincipalSchema = v.variant("type", [
  UserPrincipalSchema,
  ServicePrincipalSchema,
  CreationPrincipalSchema,
]);

export type UserPrincipal = v.InferOutput<typeof UserPrincipalSchema>;
export type ServicePrincipal = v.InferOutput<typeof ServicePrincipalSchema>;
export type CreationPrincipal = v.InferOutput<typeof CreationPrincipalSchema>;
export type Principal = v.InferOutput<typeof PrincipalSchema>;
export type PrincipalType = Principal["type"];
