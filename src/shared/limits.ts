// Every bound troupe enforces, in one place. Units come last in the name.

/** Largest request body the router reads; a bigger one is 413 PAYLOAD_TOO_LARGE. */
export const REQUEST_BODY_MAX_BYTES = 128 * 1024;

/** How far a service signature's timestamp may lie from the server clock, either way. */
export const SERVICE_SIGNATURE_TOLERANCE_SECONDS = 300;

/** Clock skew allowed when checking a JWT's `exp` and `nbf`. */
export const JWT_CLOCK_TOLERANCE_SECONDS = 30;

/** Longest client-sent `x-request-id` kept; a longer or odd one is replaced by a fresh id. */
export const REQUEST_ID_MAX_LENGTH = 128;

/** Longest user id (`sub` claim) accepted; ids name actors, so they stay short. */
export const USER_ID_MAX_LENGTH = 128;

/** Longest email claim accepted. */
export const EMAIL_MAX_LENGTH = 254;
