// Text people type (names, descriptions, chat): validated, never silently changed. What the
// client sent is what is stored and shown back, so anything that could not survive that
// round trip unchanged (lone surrogates become U+FFFD in SQLite) or would mislead a reader
// (control characters, invisible padding) is refused with the field named. Lengths count
// characters as people do (Unicode code points), not UTF-16 units: 100 emoji are 100.

import * as v from "valibot";

const CONTROL = /\p{Cc}/u;
const CONTROL_EXCEPT_NEWLINES = /[^\P{Cc}\n\r\t]/u;

const wellFormed = v.check(
  (text: string) => text.isWellFormed(),
  "must be valid Unicode (no lone surrogate code units)",
);

/** A one-line name or title of 1 to `max` characters. */
export function lineSchema(max: number) {
  return v.pipe(
    v.string(),
    wellFormed,
    v.minLength(1, "must not be empty"),
    v.maxCodePoints(max, `must be at most ${max} characters`),
    v.check((text) => !CONTROL.test(text), "must not contain control characters"),
    v.check((text) => text.trim() === text, "must not start or end with whitespace"),
  );
}

/** Free text of up to `max` characters; line breaks and tabs allowed, other controls not. */
export function textSchema(max: number, min = 0) {
  return v.pipe(
    v.string(),
    wellFormed,
    v.minLength(min, `must be at least ${min} characters`),
    v.maxCodePoints(max, `must be at most ${max} characters`),
    v.check((text) => !CONTROL_EXCEPT_NEWLINES.test(text), "must not contain control characters"),
  );
}
