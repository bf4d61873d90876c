// Whether an operator disabled a user. The user's actor is the authority; the user's wallet
// keeps a copy (wallet/user-status.ts), so a creation spending on the user's behalf is judged
// there, in the one hop the spend already makes. Each change reaches the wallet before it
// commits here and answers, as a creation's token rotation does (docs/architecture.md): if the
// wallet cannot be reached, nothing changed; if this actor fails after the push, the wallet is
// ahead for a moment and the operator, who saw an error, retries. Every call pushes again, even
// one that changes nothing here, so a retry always makes both agree. Changes run one at a time
// and each takes a new number before its push, so the wallet keeps the newest whatever order
// pushes arrive in.

import { clock } from "../../shared/clock.ts";
import type { DisableUser, UserStatus } from "../../shared/schemas/user-status.ts";
import { isoOrNull } from "../../shared/time.ts";
import { actorByName } from "../refusal.ts";
import { Serial } from "../serial.ts";
import { userAccount } from "../wallet/account.ts";

type StatusRow = {
  disabled: number;
  disabled_at: number | null;
  reason: string | null;
  seq: number;
};

export class UserStatusAuthority {
  private readonly changes = new Serial();

  constructor(
    private readonly sql: SqlStorage,
    private readonly env: Env,
  ) {}

  view(userId: string): UserStatus {
    const row = this.row();
    return {
      user_id: userId,
      disabled: row?.disabled === 1,
      disabled_at: isoOrNull(row?.disabled_at ?? null),
      reason: row?.reason ?? null,
    };
  }

  enabled(): boolean {
    return this.row()?.disabled !== 1;
  }

  /** Disables the user, or enables them (`input` null). Disabling a disabled user keeps when
   * and why they were first disabled: the same call twice answers the same state. */
  set(userId: string, input: DisableUser | null): Promise<UserStatus> {
    return this.changes.run(async () => {
      const disabled = input !== null;
      const current = this.row();
      const first = disabled && current?.disabled === 1 ? current : null;
      const disabledAt = disabled ? (first?.disabled_at ?? clock.now()) : null;
      const reason = disabled ? (first ? first.reason : (input.reason ?? null)) : null;
      const seq = this.nextSeq();
      const account = userAccount(userId);
      const copy = await actorByName(this.env.WALLET, account).applyUserStatus(account, {
        disabled,
        seq,
      });
      if (copy.seq !== seq) {
        // Only when this actor's storage went back in time (a restore): skip past the wallet's
        // number so a retry wins, and fail rather than answer a state the wallet does not hold.
        this.sql.exec("UPDATE user_status SET seq = max(seq, ?)", copy.seq);
        throw new Error(`The user's wallet holds status change ${copy.seq}, after ${seq}; retry.`);
      }
      this.sql.exec(
        "UPDATE user_status SET disabled = ?, disabled_at = ?, reason = ?",
        Number(disabled),
        disabledAt,
        reason,
      );
      return this.view(userId);
    });
  }

  /** Takes the next change number, committed before the push so none is handed out twice. */
  private nextSeq(): number {
    return this.sql
      .exec<{ seq: number }>(
        `INSERT INTO user_status (only, seq) VALUES (1, 1)
         ON CONFLICT (only) DO UPDATE SET seq = seq + 1 RETURNING seq`,
      )
      .one().seq;
  }

  private row(): StatusRow | undefined {
    return this.sql.exec<StatusRow>("SELECT * FROM user_status").toArray()[0];
  }
}
