// Disabling a user: the admin routes' shapes, and the copy of the flag the user's actor pushes
// to the user's wallet (docs/architecture.md, "Disabled users").

import * as v from "valibot";
import { UserIdSchema } from "../ids.ts";
import { USER_DISABLED_REASON_MAX_CHARS } from "../limits.ts";
import { textSchema } from "./text.ts";

export const UserParamsSchema = v.object({ id: UserIdSchema });

export const DisableUserSchema = v.strictObject({
  /** For operators only: never shown to the user or to a creation. */
  reason: v.optional(textSchema(USER_DISABLED_REASON_MAX_CHARS, 1)),
});

export const UserStatusSchema = v.object({
  user_id: v.string(),
  disabled: v.boolean(),
  /** When the user was disabled; null while enabled. */
  disabled_at: v.nullable(v.string()),
  reason: v.nullable(v.string()),
});

/** The user's actor to the user's wallet: the flag, numbered by the change that set it. */
export const UserStatusPushSchema = v.object({
  disabled: v.boolean(),
  seq: v.pipe(v.number(), v.integer(), v.minValue(1)),
});

export type DisableUser = v.InferOutput<typeof DisableUserSchema>;
export type UserStatus = v.InferOutput<typeof UserStatusSchema>;
export type UserStatusPush = v.InferOutput<typeof UserStatusPushSchema>;
