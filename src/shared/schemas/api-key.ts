// The API keys wire protocol: what the owner sends to create, roll and list a creation's keys.

import * as v from "valibot";
import { clock } from "../clock.ts";
import {
  API_KEY_LIFETIME_MAX_SECONDS,
  API_KEY_ORIGINS_MAX,
  API_KEY_ROLL_GRACE_MAX_SECONDS,
  API_KEYS_PAGE_MAX,
} from "../limits.ts";
import { API_KEY_SCOPES, ApiKeyScopeSchema } from "./api-key-scopes.ts";
import { CreationIdSchema } from "./creation.ts";
import { pageLimitSchema } from "./meta.ts";
import { lineSchema } from "./text.ts";

const API_KEY_NAME_MAX_CHARS = 100;

export const ApiKeyKindSchema = v.picklist(["secret", "publishable"]);
export const ApiKeyModeSchema = v.picklist(["live", "test"]);

export const KeyIdSchema = v.pipe(
  v.string(),
  v.regex(/^key_[A-Za-z0-9_-]{12}$/, "must be a key id (key_ and 12 characters)"),
);

/** Longest origin (scheme, host, port) a publishable key may be limited to. */
const ORIGIN_MAX_CHARS = 255;

/** An origin as a browser sends it: scheme, host and port, nothing else. */
const OriginSchema = v.pipe(
  v.string(),
  v.maxLength(ORIGIN_MAX_CHARS),
  v.check((text) => {
    try {
      const url = new URL(text);
      return (url.protocol === "https:" || url.protocol === "http:") && url.origin === text;
    } catch {
      return false;
    }
  }, 'must be an origin such as "https://app.example.com" (no path, no trailing slash)'),
);

/** Whole seconds, so the expiry signed into the key and the one stored agree. */
const KeyExpirySchema = v.pipe(
  v.string(),
  v.isoTimestamp("must be an ISO 8601 time with a zone"),
  v.check((time) => Date.parse(time) > clock.now(), "must be in the future"),
  v.check(
    (time) => Date.parse(time) <= clock.now() + API_KEY_LIFETIME_MAX_SECONDS * 1000,
    `must be within ${API_KEY_LIFETIME_MAX_SECONDS} seconds`,
  ),
);

export const CreateApiKeySchema = v.pipe(
  v.strictObject({
    kind: ApiKeyKindSchema,
    mode: ApiKeyModeSchema,
    name: lineSchema(API_KEY_NAME_MAX_CHARS),
    /** Secret keys only: the routes the key may call (RouteSpec.scope). Absent: all. */
    scopes: v.optional(
      v.pipe(
        v.array(ApiKeyScopeSchema),
        v.minLength(1, "must name at least one scope (leave it out for every scope)"),
        v.maxLength(API_KEY_SCOPES.length),
        v.check((list) => new Set(list).size === list.length, "must not repeat a scope"),
      ),
    ),
    /** Publishable keys only: the pages that may use the key. Absent: any. */
    allowed_origins: v.optional(
      v.pipe(
        v.array(OriginSchema),
        v.minLength(1, "must name at least one origin (leave it out for any)"),
        v.maxLength(API_KEY_ORIGINS_MAX, `must list at most ${API_KEY_ORIGINS_MAX} origins`),
      ),
    ),
    expires_at: v.optional(KeyExpirySchema),
  }),
  v.forward(
    v.check(
      (input) => input.kind === "secret" || input.scopes === undefined,
      "only a secret key has scopes; a publishable key opens browser-safe routes only",
    ),
    ["scopes"],
  ),
  v.forward(
    v.check(
      (input) => input.kind === "publishable" || input.allowed_origins === undefined,
      "only a publishable key is limited to origins; a secret key belongs on a server",
    ),
    ["allowed_origins"],
  ),
);
export type CreateApiKey = v.InferOutput<typeof CreateApiKeySchema>;

export const RollApiKeySchema = v.strictObject({
  /** How long the old key keeps working; 0 (the default) ends it at once. */
  grace_seconds: v.optional(
    v.pipe(v.number(), v.integer(), v.minValue(0), v.maxValue(API_KEY_ROLL_GRACE_MAX_SECONDS)),
    0,
  ),
});
export type RollApiKey = v.InferOutput<typeof RollApiKeySchema>;

export const ApiKeySchema = v.object({
  id: KeyIdSchema,
  kind: ApiKeyKindSchema,
  mode: ApiKeyModeSchema,
  name: v.string(),
  /** The key's first characters, to tell keys apart; never enough to use one. */
  start: v.string(),
  scopes: v.nullable(v.array(ApiKeyScopeSchema)),
  allowed_origins: v.nullable(v.array(v.string())),
  created_at: v.string(),
  /** Moves at most once a minute. */
  last_used_at: v.nullable(v.string()),
  expires_at: v.nullable(v.string()),
  /** Set while a rolled key is in its grace: when it stops working. */
  revokes_at: v.nullable(v.string()),
});
export type ApiKey = v.InferOutput<typeof ApiKeySchema>;

/** A key as created or rolled: the one answer that ever shows `key`. */
export const CreatedApiKeySchema = v.object({ ...ApiKeySchema.entries, key: v.string() });
export type CreatedApiKey = v.InferOutput<typeof CreatedApiKeySchema>;

export const ApiKeyPageSchema = v.object({
  keys: v.array(ApiKeySchema),
  next_cursor: v.nullable(v.string()),
});
export type ApiKeyPage = v.InferOutput<typeof ApiKeyPageSchema>;

export const ApiKeyPageQuerySchema = v.object({
  limit: pageLimitSchema(API_KEYS_PAGE_MAX),
  cursor: v.optional(KeyIdSchema),
});

export const ApiKeyParamsSchema = v.object({ id: CreationIdSchema, key_id: KeyIdSchema });

/** What a publishable key tells a page: the creation it is for and its mode. */
export const PublishableKeyInfoSchema = v.object({
  key_id: KeyIdSchema,
  creation_id: v.string(),
  mode: ApiKeyModeSchema,
  creation: v.object({ name: v.nullable(v.string()), allow_anonymous: v.boolean() }),
});
export type PublishableKeyInfo = v.InferOutput<typeof PublishableKeyInfoSchema>;
