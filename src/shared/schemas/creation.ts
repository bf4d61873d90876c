import * as v from "valibot";
import {
  AI_MAX_OUTPUT_TOKENS_LIMIT,
  AI_SYSTEM_PROMPT_MAX_CHARS,
  CREATION_NAME_MAX_LENGTH,
  CREATIONS_PAGE_MAX,
  WEBHOOK_URL_MAX_LENGTH,
} from "../limits.ts";
import { pageLimitSchema } from "./meta.ts";
import { lineSchema, textSchema } from "./text.ts";

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

/** Longest model id a creation's settings may name. */
const AI_MODEL_ID_MAX_CHARS = 200;

/** Who pays for the creation's AI sessions, and how they answer (issue 13). */
export const AiSettingsSchema = v.object({
  /** "creation": its wallet pays; "user": each user's own wallet pays for their replies. */
  payer: v.picklist(["creation", "user"]),
  /** A model from the deployment's list; null: the deployment's default. */
  model: v.nullable(v.string()),
  system_prompt: v.nullable(v.string()),
  /** Most tokens a reply may have; null: the deployment's AI_MAX_OUTPUT_TOKENS. */
  max_output_tokens: v.nullable(v.number()),
});
export type AiSettings = v.InferOutput<typeof AiSettingsSchema>;

export const DEFAULT_AI_SETTINGS: AiSettings = {
  payer: "creation",
  model: null,
  system_prompt: null,
  max_output_tokens: null,
};

/** A change of some AI settings; the rest stay as they are. */
export const AiSettingsPatchSchema = v.strictObject({
  payer: v.optional(v.picklist(["creation", "user"])),
  model: v.optional(
    v.nullable(v.pipe(v.string(), v.minLength(1), v.maxLength(AI_MODEL_ID_MAX_CHARS))),
  ),
  system_prompt: v.optional(v.nullable(textSchema(AI_SYSTEM_PROMPT_MAX_CHARS, 1))),
  max_output_tokens: v.optional(
    v.nullable(
      v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(AI_MAX_OUTPUT_TOKENS_LIMIT)),
    ),
  ),
});

/** What a creation may do besides the basics (seed 000's config.permissions). */
export const CreationPermissionSchema = v.picklist(["payments"]);

export const UpdateCreationSchema = v.strictObject({
  name: v.optional(CreationNameSchema),
  /** Whether visitors without an account may join the creation's rooms. */
  allow_anonymous: v.optional(v.boolean()),
  /** Default webhook URL of the creation's backend; null clears it. */
  webhook_url: v.optional(v.nullable(WebhookUrlSchema)),
  ai: v.optional(AiSettingsPatchSchema),
  /** The whole list; ["payments"] lets the creation sell products and take payments. */
  permissions: v.optional(
    v.pipe(
      v.array(CreationPermissionSchema),
      v.check((list) => new Set(list).size === list.length, "must not repeat a permission"),
    ),
  ),
  /** Percent of each sale credited to the creation's wallet (seed 000's default 100). */
  entitlement_creator_share_pct: v.optional(
    v.pipe(v.number(), v.integer(), v.minValue(0), v.maxValue(100)),
  ),
});

export const CreationSchema = v.object({
  id: v.string(),
  owner: v.string(),
  name: v.nullable(v.string()),
  allow_anonymous: v.boolean(),
  webhook_url: v.nullable(v.string()),
  token_version: v.number(),
  ai: AiSettingsSchema,
  permissions: v.array(v.string()),
  entitlement_creator_share_pct: v.number(),
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
