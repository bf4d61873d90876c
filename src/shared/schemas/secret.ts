// The secrets vault's wire protocol. Values go in and never come out: no schema here carries
// one back. The size limit (SECRET_VALUE_MAX_BYTES) is checked by the vault, so it answers with
// its own code, SECRET_TOO_LARGE, rather than a schema failure.

import * as v from "valibot";
import { SECRET_NAME_MAX_LENGTH } from "../limits.ts";
import { CreationIdSchema } from "./creation.ts";

/** An environment variable's name, so a creation's code can be given its secrets as such. */
export const SecretNameSchema = v.pipe(
  v.string(),
  v.regex(
    new RegExp(`^[A-Z][A-Z0-9_]{0,${SECRET_NAME_MAX_LENGTH - 1}}$`),
    `must be 1-${SECRET_NAME_MAX_LENGTH} of A-Z, 0-9 and _, starting with a letter`,
  ),
);

export const SecretParamsSchema = v.object({ name: SecretNameSchema });
export const CreationSecretParamsSchema = v.object({
  id: CreationIdSchema,
  name: SecretNameSchema,
});

// Messages never echo what was received: it may be the secret.
export const PutSecretSchema = v.object({
  value: v.pipe(
    v.string("must be a string"),
    v.minLength(1, "must not be empty; DELETE the secret to remove it"),
    v.check((text) => text.isWellFormed(), "must be valid Unicode (no lone surrogate code units)"),
  ),
});
export type PutSecret = v.InferOutput<typeof PutSecretSchema>;

/** The answer to a put: which secret, when, and whether it is new. Never the value. */
export const SecretWrittenSchema = v.object({
  name: v.string(),
  updated_at: v.string(),
  created: v.boolean(),
});
export type SecretWritten = v.InferOutput<typeof SecretWrittenSchema>;

export const SecretListSchema = v.object({
  secrets: v.array(v.object({ name: v.string(), updated_at: v.string() })),
});
export type SecretList = v.InferOutput<typeof SecretListSchema>;
