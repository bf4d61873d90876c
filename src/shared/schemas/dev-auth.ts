// Development sign-in (POST /v1/dev/sign-in): who to be, and the token that says so.

import * as v from "valibot";
import { EmailSchema, UserIdSchema } from "../ids.ts";

export const DevSignInSchema = v.strictObject({
  user_id: UserIdSchema,
  email: v.optional(EmailSchema),
});

export const DevSignInAnswerSchema = v.object({
  token: v.string(),
  user_id: v.string(),
  expires_at: v.string(),
});
