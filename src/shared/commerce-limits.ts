// Limits of commerce inside creations (seed 000): products, purchases, entitlements, receipts.
// Re-exported from limits.ts, the one place code imports limits from.

/** Products one creation may list. */
export const PRODUCTS_PER_CREATION_MAX = 100;

/** Characters of a product's name and description. */
export const PRODUCT_NAME_MAX_CHARS = 100;
export const PRODUCT_DESCRIPTION_MAX_CHARS = 1_000;

/** Highest price of a product, in credits. */
export const PRODUCT_PRICE_MAX = 1_000_000_000;

/** Shortest and longest access a `period` product may sell (seconds). */
export const PRODUCT_PERIOD_MIN_SECONDS = 60;
export const PRODUCT_PERIOD_MAX_SECONDS = 5 * 365 * 24 * 60 * 60;

/** Most uses a `consumable` product may sell at once. */
export const PRODUCT_USES_MAX = 1_000_000;

/** Characters of a client_operation_id (a purchase's idempotency key). */
export const CLIENT_OPERATION_ID_MAX_CHARS = 128;

/** How long an entitlement's access token (`rat_`, kind entitlement) lives (seed 000: 30 min). */
export const ENTITLEMENT_TOKEN_TTL_SECONDS = 30 * 60;

/** Entitlements one page of `GET /v1/me/entitlements` lists. */
export const ENTITLEMENTS_PAGE_MAX = 100;

/** How long a subscription whose renewal the wallet cannot pay stays active while it retries. */
export const SUBSCRIPTION_GRACE_SECONDS = 3 * 24 * 60 * 60;

/** How often a renewal that could not be paid is retried during the grace. */
export const SUBSCRIPTION_RETRY_SECONDS = 24 * 60 * 60;

/** Longest a deposit may hold a user's credits for a creation. */
export const DEPOSIT_TTL_MAX_SECONDS = 7 * 24 * 60 * 60;

/** Characters of the user id an id naming its wallet may carry (routed-ids.ts), in base64url. */
export const ROUTED_ID_USER_MAX_CHARS = 200;

/** Characters of an id in a path: a purchase's transaction id, a deposit's id. */
export const COMMERCE_ID_MAX_CHARS = 300;

/** Characters of an access token (`rat_…`) a route reads. */
export const ACCESS_TOKEN_MAX_CHARS = 4_096;

/** Characters of a receipt (a compact JWS) a route reads. */
export const RECEIPT_MAX_CHARS = 8_192;

/** Characters of an ISO 8601 instant in a query (from, to). */
export const INSTANT_QUERY_MAX_CHARS = 40;

/** Bytes of the HMAC a buyer handle keeps (`buyer_…`, 144 bits: no two buyers collide). */
export const BUYER_HANDLE_BYTES = 18;
