// Every bound troupe enforces, in one place. Units come last in the name.

/** Largest request body the router reads; a bigger one is 413 PAYLOAD_TOO_LARGE. */
export const REQUEST_BODY_MAX_BYTES = 128 * 1024;

/** Deepest nesting of objects and arrays in any JSON the API reads (bodies, frames, payloads). */
export const JSON_MAX_DEPTH = 32;

/** How far a service signature's timestamp may lie from the server clock, either way. */
export const SERVICE_SIGNATURE_TOLERANCE_SECONDS = 300;

/** Actors that remember used service signatures (ReplayGuardDO), chosen by the signature. */
export const REPLAY_GUARD_SHARDS = 16;

/** How long a legacy x-sheen-signature (which has no timestamp) is remembered as used. */
export const LEGACY_SIGNATURE_MEMORY_SECONDS = 7 * 24 * 60 * 60;

/** Clock skew allowed when checking a JWT's `exp` and `nbf`. */
export const JWT_CLOCK_TOLERANCE_SECONDS = 30;

/** Longest lifetime a user JWT may claim (`exp` minus the earlier of `iat` and now);
 * a token without `exp`, or living longer, is refused. */
export const JWT_MAX_LIFETIME_SECONDS = 24 * 60 * 60;

/** Longest client-sent `x-request-id` kept; a longer or odd one is replaced by a fresh id. */
export const REQUEST_ID_MAX_LENGTH = 128;

/** Longest user id (`sub` claim) accepted; ids name actors, so they stay short. */
export const USER_ID_MAX_LENGTH = 128;

/** Longest email claim accepted. */
export const EMAIL_MAX_LENGTH = 254;

/** Attempts a scheduled job gets (the first run included) before it is dead-lettered. */
export const SCHEDULER_MAX_ATTEMPTS = 6;

/** Delay before the first retry; each further retry doubles it. */
export const SCHEDULER_RETRY_BASE_MS = 2_000;

/** Ceiling for the exponential retry delay. */
export const SCHEDULER_RETRY_MAX_DELAY_MS = 60 * 60 * 1000;

/** Jobs one alarm runs before re-arming itself for the rest (keeps each alarm short). */
export const SCHEDULER_JOBS_PER_ALARM_MAX = 256;

/** Jobs one actor may hold at once, outbox deliveries included. */
export const SCHEDULER_JOBS_MAX = 10_000;

/** Dead letters kept per actor; the oldest are dropped beyond this. */
export const SCHEDULER_DEAD_LETTERS_MAX = 1_000;

/** Longest error text kept for a failed job. */
export const SCHEDULER_ERROR_MAX_CHARS = 1_000;

/** How long an actor remembers what it already did: idempotency keys with their answers, and
 * the outbox message ids it applied. One rule for both: Stripe retries a webhook for 3 days,
 * clients for minutes, the outbox gives up after its last attempt, hours after the first. */
export const DEDUP_RETENTION_MS = 30 * 24 * 60 * 60 * 1000;

/** Schedules one creation may hold, finished one-shot schedules included until deleted. */
export const CREATION_SCHEDULES_MAX = 50;

/** Shortest gap allowed between two runs of a creation's cron schedule. */
export const CREATION_SCHEDULE_MIN_INTERVAL_SECONDS = 60;

/** Furthest ahead a one-shot schedule (`at` or `delay_seconds`) may be set. */
export const CREATION_SCHEDULE_HORIZON_SECONDS = 366 * 24 * 60 * 60;

/** Largest JSON `payload` a schedule may carry into its webhook event or room message. */
export const CREATION_SCHEDULE_PAYLOAD_MAX_BYTES = 4 * 1024;

/** How long a creation's backend has to answer a webhook before the attempt counts as failed. */
export const CREATION_WEBHOOK_TIMEOUT_MS = 10_000;

/** First retry delay of a failed webhook delivery; it doubles up to SCHEDULER_MAX_ATTEMPTS. */
export const CREATION_WEBHOOK_RETRY_BASE_MS = 5_000;

/** Longest creation name, in characters (Unicode code points, not UTF-16 units). */
export const CREATION_NAME_MAX_LENGTH = 100;

/** Longest webhook URL. */
export const WEBHOOK_URL_MAX_LENGTH = 2_048;

/** Creations one listing page returns at most (and by default). */
export const CREATIONS_PAGE_MAX = 100;

/** Projection rows one cron run checks against their actors. */
export const RECONCILE_BATCH_SIZE = 100;

/** Largest amount one wallet operation may move (integers only; far below 2^53). */
export const WALLET_AMOUNT_MAX = 1_000_000_000_000;

/** How long a hold reserves funds when the request does not say. */
export const WALLET_HOLD_TTL_DEFAULT_SECONDS = 5 * 60;

/** Longest a hold may reserve funds before the scheduler releases it. */
export const WALLET_HOLD_TTL_MAX_SECONDS = 24 * 60 * 60;

/** Transactions one page returns at most (and by default). */
export const WALLET_TRANSACTIONS_PAGE_MAX = 100;

/** Longest free-text description kept on a transaction. */
export const WALLET_DESCRIPTION_MAX_LENGTH = 500;

/** Longest spend `type` label (e.g. "provider_call"). */
export const WALLET_SPEND_TYPE_MAX_LENGTH = 64;

/** Longest idempotency key (`Idempotency-Key` header or `reference_id`). */
export const IDEMPOTENCY_KEY_MAX_LENGTH = 255;

/** Longest `rat_` token accepted (a sealed user id of USER_ID_MAX_LENGTH fits well inside). */
export const ACCESS_TOKEN_MAX_LENGTH = 512;

/** Lifetime of a `rat_` user access token. */
export const ACCESS_TOKEN_TTL_SECONDS = 30 * 60;

/** Budget authorizations one user may hold at once (revoked and expired ones excluded). */
export const BUDGET_AUTHORIZATIONS_MAX = 100;

/** Past operations kept per operation type to estimate the next one (seed 001). */
export const ESTIMATE_SAMPLES_MAX = 200;

/** Most AI time one seed 001 `consume` call may record (a day). */
export const BILLING_CONSUME_MAX_SECONDS = 24 * 60 * 60;

/** Longest Stripe event id accepted (Stripe's are ~30 characters). */
export const STRIPE_EVENT_ID_MAX_LENGTH = 255;

/** How far a Stripe-Signature timestamp may lie from the server clock. */
export const STRIPE_SIGNATURE_TOLERANCE_SECONDS = 300;

/** Longest subdomain: one DNS label. */
export const SUBDOMAIN_MAX_LENGTH = 63;

/** Collaborators (invited and active) one subdomain may have. */
export const SUBDOMAIN_COLLABORATORS_MAX = 100;

/** When a claim whose confirmation never came back is settled by the user's actor. */
export const CLAIM_REPAIR_DELAY_MS = 60_000;

/** Subdomains one registry.json or admin listing page returns at most. */
export const SUBDOMAINS_PAGE_MAX = 1_000;

/** Claims /registry/registry.json lists at most (then it says `truncated: true`). */
export const REGISTRY_JSON_MAX_ENTRIES = 50_000;

/** Records one importer request may carry (the importer script sends batches of this size). */
export const REGISTRY_IMPORT_BATCH_MAX = 200;

/** Largest WebSocket frame a room reads; a bigger one gets FRAME_TOO_LARGE and is dropped. */
export const ROOM_FRAME_MAX_BYTES = 16 * 1024;

/** Frames one connection may send per second; more get RATE_LIMITED. */
export const ROOM_MESSAGES_PER_SECOND = 30;

/** Refused frames (rate limited, too large, invalid) a connection may send within
 * ROOM_VIOLATION_WINDOW_MS; the one that reaches it closes the socket with 1008. */
export const ROOM_VIOLATIONS_MAX = 20;
export const ROOM_VIOLATION_WINDOW_MS = 10_000;

/** Connections one room holds at once; the next upgrade is refused with ROOM_FULL. */
export const ROOM_CONNECTIONS_MAX = 500;

/** Largest shared state (as JSON); a patch that would exceed it gets STATE_TOO_LARGE. */
export const ROOM_STATE_MAX_BYTES = 256 * 1024;

/** Chat messages a room keeps and sends in `welcome`. */
export const ROOM_HISTORY_MAX_MESSAGES = 100;

/** Older chat rows are deleted once per this many messages, not on every one; a room stores at
 *  most ROOM_HISTORY_MAX_MESSAGES + this many rows and shows only the newest. */
export const ROOM_HISTORY_TRIM_EVERY = 25;

/** Accepted patches a room keeps so a reconnecting client can catch up without a full state. */
export const ROOM_PATCH_LOG_MAX = 500;

/** Longest chat message. */
export const ROOM_CHAT_MAX_CHARS = 2_000;

/** Operations one patch may carry. */
export const ROOM_PATCH_OPS_MAX = 50;

/** Largest presence object one user may publish (as JSON). */
export const ROOM_PRESENCE_MAX_BYTES = 1024;

/** Shortest gap between two cursor frames relayed for one connection; faster ones are dropped. */
export const ROOM_CURSOR_MIN_INTERVAL_MS = 25;

/** Lifetime of a connection ticket; each is good for one upgrade. */
export const ROOM_TICKET_TTL_SECONDS = 60;

/** Timers one room may have running, and the longest one. */
export const ROOM_TIMERS_MAX = 20;
export const ROOM_TIMER_MAX_SECONDS = 24 * 60 * 60;

/** Longest state path a patch op may name. Each segment takes at least two characters ("/x"),
 * so a path reaches at most half this many levels down. */
export const ROOM_PATH_MAX_CHARS = 256;

/** Deepest nesting the room's state can reach: a value of JSON_MAX_DEPTH levels set at the
 * deepest path. Clients check inbound state against this, not against JSON_MAX_DEPTH. */
export const ROOM_STATE_MAX_DEPTH = ROOM_PATH_MAX_CHARS / 2 + JSON_MAX_DEPTH;

/** Cursor relays a connection has in hand after a pause: a client throttled to one cursor per
 * ROOM_CURSOR_MIN_INTERVAL_MS whose frames the network delivers bunched together still gets its
 * last position through; on average one per interval is relayed, the rest are dropped. */
export const ROOM_CURSOR_BURST_MAX = 2;

/** Cursor frames one connection may send per second. Cursors never count against
 * ROOM_MESSAGES_PER_SECOND (over-frequent ones are dropped silently, so fast drawing can never
 * crowd out a patch); past this, only a flood, each one is a refused frame (RATE_LIMITED). */
export const ROOM_CURSOR_FRAMES_PER_SECOND_MAX = 1_000;

/** Chat messages the client SDK keeps in `history`; past this the oldest are dropped. */
export const ROOM_CLIENT_HISTORY_MAX = 500;

/** Frames the client SDK holds: sent while disconnected (waiting for the connection) plus
 * patches sent but not yet acknowledged (resent after a reconnect). All of them go out at once
 * on the next welcome, so they stay well inside one second's ROOM_MESSAGES_PER_SECOND. At the
 * bound a new patch is rejected, and chat or a timer call throws, with QUEUE_FULL; nothing
 * held is dropped. */
export const ROOM_CLIENT_QUEUE_MAX = 20;

/** Accepted patch ids a room remembers per user, so a patch resent after a reconnect gets its
 * first ack and is not applied twice: a client resends at most ROOM_CLIENT_QUEUE_MAX, and a
 * user may have a few tabs open. */
export const ROOM_PATCH_IDS_PER_USER_MAX = 5 * ROOM_CLIENT_QUEUE_MAX;

/** Accepted patch ids a room remembers in all (the oldest forgotten first), so rooms that see
 * many different users (anonymous visitors) stay bounded too. */
export const ROOM_PATCH_IDS_MAX = 10_000;

/** Lifetime of a development sign-in token (POST /v1/dev/sign-in, only when DEV_SIGN_IN is
 * "true"): short, because anyone who can reach that route can be anyone. */
export const DEV_SIGN_IN_TOKEN_TTL_SECONDS = 60 * 60;

/** How long the client SDK waits before reconnecting after a lost connection: from the first
 * delay, growing with each failed attempt up to the last (an explicit reconnect is immediate). */
export const ROOM_CLIENT_RECONNECT_MIN_DELAY_MS = 1_000;
export const ROOM_CLIENT_RECONNECT_MAX_DELAY_MS = 5_000;

/** Longest `detail` of a refused ticket request the client SDK passes on (the rest is cut). */
export const ROOM_CLIENT_PROBLEM_DETAIL_MAX_CHARS = 500;

/** Largest frame a room reads as a cursor, on the cursor budget (ROOM_CURSOR_FRAMES_PER_SECOND_MAX)
 * rather than ROOM_MESSAGES_PER_SECOND: a cursor frame is a type and two numbers (under 80 bytes
 * at the longest), so a bigger one is padding and counts as any frame. Keeps what a connection
 * can make the room parse at cursor rates this small. */
export const ROOM_CURSOR_FRAME_MAX_BYTES = 128;

/** Unredeemed connection tickets one room keeps (issuing needs no credentials where a creation
 * allows anonymous visitors): room for every connection it holds to be re-established at once,
 * twice over. Past it the oldest is forgotten; its holder's connect fails and takes a new one. */
export const ROOM_TICKETS_MAX = 2 * ROOM_CONNECTIONS_MAX;

/** Longest patch id a client may choose (the room remembers it and echoes it in its answer). */
export const ROOM_PATCH_ID_MAX_CHARS = 64;

/** Longest connection ticket the router reads from `?ticket=` and the client SDK accepts from a
 * ticket answer (the room issues `rtk_` and 32 hex digits). */
export const ROOM_TICKET_MAX_CHARS = 64;

// ── API keys ────────────────────────────────────────────────────────────────────────────────

/** Keys one creation holds that are not revoked (rolled keys count until their grace ends).
 * Lookup is by id whatever the count: the key names its own row. */
export const API_KEYS_PER_CREATION_MAX = 1_000;

/** Keys one page of `GET /v1/creations/:id/keys` lists; `cursor` pages on. */
export const API_KEYS_PAGE_MAX = 100;

/** Longest an old key stays valid after a roll (Stripe's limit too): a week to redeploy. */
export const API_KEY_ROLL_GRACE_MAX_SECONDS = 7 * 24 * 60 * 60;

/** Furthest ahead an API key may be set to expire. */
export const API_KEY_LIFETIME_MAX_SECONDS = 5 * 365 * 24 * 60 * 60;

/** `last_used_at` moves at most once per this window, so using a key is not a write per call. */
export const API_KEY_LAST_USED_RESOLUTION_MS = 60_000;

/** Origins one publishable key may be restricted to. */
export const API_KEY_ORIGINS_MAX = 20;

/** Longest text a request may send as an API key (every key troupe mints is under 100). */
export const API_KEY_MAX_CHARS = 200;

/** Keys whose last touch the router remembers per isolate, to send at most one a minute each. */
export const API_KEY_TOUCH_CACHE_MAX = 1_000;

// ── Secrets vault ───────────────────────────────────────────────────────────────────────────

/** Largest secret value, in UTF-8 bytes (seed 000: 5 KB); a bigger one is SECRET_TOO_LARGE. */
export const SECRET_VALUE_MAX_BYTES = 5 * 1024;

/** Longest secret name: `[A-Z][A-Z0-9_]*`, so it can be an environment variable's name. */
export const SECRET_NAME_MAX_LENGTH = 64;

/** Secrets one user, or one creation, may hold; the next new name is SECRET_LIMIT_REACHED. */
export const SECRETS_PER_OWNER_MAX = 100;

/** Longest agent id (`owner/name`) a JWT's agent_id claim may carry. */
export const AGENT_ID_MAX_CHARS = 128;

/** Longest agent display name taken from a JWT's name claim. */
export const AGENT_NAME_MAX_CHARS = 100;

/** Longest reason an operator may record when disabling a user. */
export const USER_DISABLED_REASON_MAX_CHARS = 500;

/** How long a content credential proves a user to a creation's backend (seed 000: short-lived). */
export const CONTENT_CREDENTIAL_TTL_SECONDS = 5 * 60;

// ── AI sessions ─────────────────────────────────────────────────────────────────────────────

/** Largest body of a chat request: a stock useChat sends the whole conversation each turn,
 *  though the server reads only the newest message (the history is the server's). */
export const CHAT_REQUEST_BODY_MAX_BYTES = 2 * 1024 * 1024;

/** Longest user message, in characters. */
export const CHAT_MESSAGE_MAX_CHARS = 16_000;

/** Longest chat id or message id a client may choose (useChat makes 16-character ids). */
export const CHAT_ID_MAX_CHARS = 64;

/** Messages one chat keeps (seed 000 caps history at 200); older ones are dropped. */
export const CHAT_HISTORY_MAX_MESSAGES = 200;

/** Chats one user keeps in one creation. */
export const CHATS_PER_SESSION_MAX = 100;

/** Generations one session runs at once, across its chats (one per chat). */
export const SESSION_GENERATIONS_MAX = 3;

/** Longest a generation may run before the watchdog ends it. */
export const GENERATION_MAX_MS = 5 * 60 * 1000;

/** Tokens of history (estimated) a prompt carries: the newest messages that fit. */
export const CHAT_PROMPT_MAX_TOKENS = 8_000;

/** Stream events one generation stores (a reply of ~20,000 deltas is far past any limit). */
export const GENERATION_EVENTS_MAX = 20_000;

/** Messages one page of GET …/chat/:chat_id returns. */
export const CHAT_MESSAGES_PAGE_MAX = 100;

/** Longest system prompt a creation may set, in characters. */
export const AI_SYSTEM_PROMPT_MAX_CHARS = 8_000;

/** Most tokens a creation may let one reply have. */
export const AI_MAX_OUTPUT_TOKENS_LIMIT = 32_000;

// ── Platform LLM tools (/v1/tools/llm/*) ───────────────────────────────────────────────────

/** Largest body of a request to the LLM tools: a conversation sent whole each call. */
export const LLM_TOOL_REQUEST_BODY_MAX_BYTES = 1024 * 1024;

/** Messages one request may carry. */
export const LLM_TOOL_MESSAGES_MAX = 500;

/** Text parts one message's content (or the system prompt) may have. */
export const LLM_TOOL_CONTENT_PARTS_MAX = 32;

/** Longest text of one message, one text part, or the system prompt, in UTF-16 units. */
export const LLM_TOOL_TEXT_MAX_CHARS = 200_000;

/** Largest `max_tokens` a request may name; the deployment's AI_MAX_OUTPUT_TOKENS caps what a
 *  call gets (and what its hold reserves). */
export const LLM_TOOL_MAX_TOKENS_MAX = 1_000_000;

/** Longest one call may run before it is cut off and settled for what was generated. */
export const LLM_TOOL_CALL_MAX_MS = 5 * 60 * 1000;

/** Tries to settle a call's hold (the wallet's idempotency keys make a retry harmless); a hold
 *  never settled is released by the wallet when its TTL ends. */
export const LLM_TOOL_SETTLE_ATTEMPTS_MAX = 3;

/** Longest model id a request may name (it must also be one the deployment allows). */
export const LLM_TOOL_MODEL_MAX_CHARS = 200;

/** Stop sequences one request may give (OpenAI's limit), and the longest one, in characters. */
export const LLM_TOOL_STOP_SEQUENCES_MAX = 4;
export const LLM_TOOL_STOP_SEQUENCE_MAX_CHARS = 200;

/** How long a session WebSocket ticket may wait to be used. */
export const SESSION_TICKET_TTL_MS = 60_000;

/** Unused tickets one session keeps; past it the oldest is forgotten. */
export const SESSION_TICKETS_MAX = 20;

/** Messages a session WebSocket's `init` carries (seed 000: the last 50). */
export const SESSION_INIT_HISTORY_MESSAGES = 50;

/** Largest frame a session WebSocket reads. */
export const SESSION_FRAME_MAX_BYTES = 32 * 1024;

/** Sockets one session keeps open (a user's tabs and devices). */
export const SESSION_SOCKETS_MAX = 20;

export * from "./commerce-limits.ts";
export * from "./metering-limits.ts";
