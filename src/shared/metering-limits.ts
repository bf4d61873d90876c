// Limits of usage metering (seed 002): tiers, tracking, rate limits and the usage summary.
// Re-exported from limits.ts, the one place code imports limits from.

/** Tiers one creation may define. */
export const USAGE_TIERS_MAX = 20;

/** Features one tier may list, and the characters each may have. */
export const USAGE_TIER_FEATURES_MAX = 20;
export const USAGE_TIER_FEATURE_MAX_CHARS = 200;

/** Largest monthly limit a tier may set (calls); `null` is unlimited. */
export const USAGE_TIER_LIMIT_MAX = 1_000_000_000_000;

/** Largest price a tier may show (the seed's dollars; troupe only displays it). */
export const USAGE_TIER_PRICE_MAX = 1_000_000;

/** Largest quantity one track call may add. */
export const USAGE_TRACK_QUANTITY_MAX = 1_000_000;

/** Characters of an end user's id as the developer names it (seed 002's `user_id`). */
export const USAGE_USER_ID_MAX_CHARS = 128;

/** Characters of a track call's idempotency key. */
export const USAGE_IDEMPOTENCY_KEY_MAX_CHARS = 255;

/** How long a track call's idempotency key answers its retries with the first answer (ms). */
export const USAGE_IDEMPOTENCY_RETENTION_MS = 24 * 60 * 60 * 1000;

/** Requests one end user may make to a creation's metered routes per UTC minute, unless the
 *  deployment (RATE_LIMIT_PER_MINUTE) or the user's tier says otherwise (seed 002's 100). */
export const USAGE_RATE_LIMIT_PER_MINUTE_DEFAULT = 100;

/** Largest per-minute rate limit a tier or the deployment may set. */
export const USAGE_RATE_LIMIT_PER_MINUTE_MAX = 1_000_000;

/** Top users one page of the usage summary lists; `cursor` pages on. */
export const USAGE_TOP_USERS_PAGE_MAX = 100;
export const USAGE_TOP_USERS_PAGE_DEFAULT = 10;

/** Months of usage a creation keeps; older periods are pruned when a new one starts. */
export const USAGE_RETENTION_MONTHS = 25;

/** Characters of a tier's name. */
export const USAGE_TIER_NAME_MAX_CHARS = 64;

/** Characters of a usage summary's cursor (base64url of a count and a user id). */
export const USAGE_CURSOR_MAX_CHARS = 256;

/** The per-user rate window: one UTC minute. */
export const USAGE_RATE_WINDOW_SECONDS = 60;
