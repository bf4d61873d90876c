import * as v from "valibot";
import { EMAIL_MAX_LENGTH, USER_ID_MAX_LENGTH } from "./limits.ts";

/** A user id as issued by the identity provider (`sub`); printable, no whitespace. */
export const UserIdSchema = v.pipe(
  v.string(),
  v.minLength(1, "must not be empty"),
  v.maxLength(USER_ID_MAX_LENGTH, `must be at most ${USER_ID_MAX_LENGTH} characters`),
  v.regex(/^[\x21-\x7e]+$/, "must be printable ASCII without spaces"),
);

export const EmailSchema = v.pipe(
  v.string(),
  v.maxLength(EMAIL_MAX_LENGTH, `must be at most ${EMAIL_MAX_LENGTH} characters`),
  v.email("must be an email address"),
);

/**
 * A UUID (version 8, RFC 9562) derived from `text` by SHA-256: the same text always names the
 * same thing, so a retried create lands on the actor the first attempt created.
 */
export async function derivedUuid(text: string): Promise<string> {
  const hash = new Uint8Array(
    await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text)),
  );
  const bytes = hash.slice(0, 16);
  bytes[6] = ((bytes[6] ?? 0) & 0x0f) | 0x80; // version 8
  bytes[8] = ((bytes[8] ?? 0) & 0x3f) | 0x80; // RFC 9562 variant
  const hex = [...bytes].map((byte) => byte.toString(16).padStart(2, "0")).join("");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
