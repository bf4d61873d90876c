// A user's wallet's copy of whether its user is disabled, so a creation spending on the user's
// behalf is refused in the same synchronous step as the spend, without asking the user's actor.
// The user's actor (the authority) pushes each change here before it commits and answers
// (user/status.ts). Every change carries a number the user's actor never hands out twice; the
// copy keeps the highest, so a push that arrives late or twice changes nothing. No row: the
// user was never disabled.

import { ApiError } from "../../shared/errors.ts";
import type { UserStatusPush } from "../../shared/schemas/user-status.ts";

export class UserStatusCopy {
  /** The stored copy, read once: every push goes through this object (single writer). */
  private cached: UserStatusPush | null | undefined;

  constructor(private readonly sql: SqlStorage) {}

  /** The copy as known here; null when no change ever reached this wallet. */
  known(): UserStatusPush | null {
    if (this.cached === undefined) {
      const row = this.sql
        .exec<{ disabled: number; seq: number }>("SELECT disabled, seq FROM user_status")
        .toArray()[0];
      this.cached = row ? { disabled: row.disabled === 1, seq: row.seq } : null;
    }
    return this.cached;
  }

  /** Records `push` unless a higher-numbered change is already here; returns the copy now. */
  apply(push: UserStatusPush): UserStatusPush {
    this.sql.exec(
      `INSERT INTO user_status (only, disabled, seq) VALUES (1, ?, ?)
       ON CONFLICT (only) DO UPDATE SET disabled = excluded.disabled, seq = excluded.seq
       WHERE excluded.seq > user_status.seq`,
      Number(push.disabled),
      push.seq,
    );
    this.cached = undefined;
    return this.known() as UserStatusPush;
  }

  /** 403 AUTH_USER_DISABLED while the user is disabled. */
  requireEnabled(): void {
    if (this.known()?.disabled) {
      throw new ApiError(
        "AUTH_USER_DISABLED",
        "The user is disabled: their budget authorizations and access tokens are refused until an operator enables them.",
      );
    }
  }
}
