import * as v from "valibot";
import { CREATION_NAME_MAX_LENGTH, CREATIONS_PAGE_MAX, WEBHOOK_URL_MAX_LENGTH } from "../limits.ts";
import { pageLimitSchema } from "./meta.ts";
import { lineSchema } from "./text.ts";

export const CreationIdSchema = v.pipe(v.string(), v.uuid("must be a creation id (a UUID)"));

export const CreationNameSchema = lineSchema(CREATION_NAME_MAX_LENGTH);

export const WebhookUrlSchema = v.pipe(
  v.string(),
  v.maxLength(WEBHOOK_URL_MAX_LENGTH, `must be at most ${WEBHOOK_URL_MAX_LENGTH} characters`),
  v.url("must be an absolute URL"),
);

export const CreationParamsSchema = v.object({ id: CreationIdSchema });

export const CreateCreationSchema = v.object({
  name: v.optional(CreationNameSchema),
});

export const UpdateCreationSchema = v.strictObject({
  name: v.optional(CreationNameSchema),
  /** Whether visitors without an account may join the creation's rooms. */
  allow_anonymous: v.optional(v.boolean()),
  /** Default webhook URL of the creation's backend; null clears it. */
  webhook_url: v.optional(v.nullable(WebhookUrlSchema)),
});

export const CreationSchema = v.object({
  id: v.string(),
  owner: v.string(),
  name: v.nullable(v.string()),
  allow_anonymous: v.boolean(),
  webhook_url: v.nullable(v.string()),
  token_version: v.number(),
  created_at: v.string(),
  updated_at: v.string(),
});

/** Returned once, at creation: the only time the token and webhook secret are shown together. */
export const CreatedCreationSchema = v.object({
  ...CreationSchema.entries,
  token: v.string(),
  webhook_secret: v.string(),
});

export const RotatedTokenSchema = v.object({ token_version: v.number(), token: v.string() });
export const RotatedWebhookSecretSchema = v.object({ webhook_secret: v.string() });

export type CreateCreation = v.InferOutput<typeof CreateCreationSchema>;
export type UpdateCreation = v.InferOutput<typeof UpdateCreationSchema>;
export type Creation = v.InferOutput<typeof CreationSchema>;
export type CreatedCreation = v.InferOutput<typeof CreatedCreationSchema>;

export const ListCreationsQuerySchema = v.object({
  limit: pageLimitSchema(CREATIONS_PAGE_MAX),
  cursor: v.optional(v.pipe(v.string(), v.maxLength(512))),
});

export const CreationListSchema = v.object({
  creations: v.array(
    v.object({
      id: v.string(),
      owner: v.string(),
      name: v.nullable(v.string()),
      created_at: v.string(),
      updated_at: v.string(),
    }),
  ),
  /** Pass as `cursor` for the next page; null on the last page. */
  next_cursor: v.nullable(v.string()),
});
