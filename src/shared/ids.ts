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
