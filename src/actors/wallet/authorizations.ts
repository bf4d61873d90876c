// Budget authorizations: a user lets one creation spend from their wallet, up to a limit per
// day, month or in total. At most one is active per creation; granting again replaces it.

import { ApiError } from "../../shared/errors.ts";
import { BUDGET_AUTHORIZATIONS_MAX } from "../../shared/limits.ts";
import type {
  Authorization,
  BudgetPeriod,
  CreateBudget,
} from "../../shared/schemas/authorization.ts";
import {
  iso,
  isoOrNull,
  nextUtcMidnight,
  nextUtcMonthStart,
  utcDayStart,
  utcMonthStart,
} from "../../shared/time.ts";
import type { Ledger } from "./ledger.ts";
import type { AuthorizationRow } from "./schema.ts";

function periodBounds(
  period: BudgetPeriod,
  now: number,
): { start: number; resetsAt: number | null } {
  if (period === "day") return { start: utcDayStart(now), resetsAt: nextUtcMidnight(now) };
  if (period === "month") return { start: utcMonthStart(now), resetsAt: nextUtcMonthStart(now) };
  return { start: 0, resetsAt: null };
}

export class Authorizations {
  constructor(
    private readonly sql: SqlStorage,
    private readonly ledger: Ledger,
    /** Money active holds reserve under an authorization: it counts as spent until settled. */
    private readonly heldUnder: (authorizationId: string) => number,
  ) {}

  grant(input: CreateBudget, now: number): Authorization {
    const expiresAt = input.expires_at ? Date.parse(input.expires_at) : null;
    this.sql.exec(
      "UPDATE authorizations SET revoked_at = ? WHERE creation_id = ? AND revoked_at IS NULL",
      now,
      input.creation_id,
    );
    const { active } = this.sql
      .exec<{ active: number }>(
        `SELECT COUNT(*) AS active FROM authorizations
         WHERE revoked_at IS NULL AND (expires_at IS NULL OR expires_at > ?)`,
        now,
      )
      .one();
    if (active >= BUDGET_AUTHORIZATIONS_MAX) {
      throw new ApiError(
        "AUTHORIZATION_LIMIT_REACHED",
        `A user may hold ${BUDGET_AUTHORIZATIONS_MAX} active authorizations; revoke one first.`,
        { limit: BUDGET_AUTHORIZATIONS_MAX },
      );
    }
    const row = this.sql
      .exec<AuthorizationRow>(
        `INSERT INTO authorizations (id, creation_id, spend_limit, period, expires_at, created_at)
         VALUES (?, ?, ?, ?, ?, ?) RETURNING *`,
        `auth_${crypto.randomUUID()}`,
        input.creation_id,
        input.limit,
        input.period,
        expiresAt,
        now,
      )
      .one();
    return this.view(row, now);
  }

  list(now: number): Authorization[] {
    return this.sql
      .exec<AuthorizationRow>("SELECT * FROM authorizations ORDER BY created_at DESC, id")
      .toArray()
      .map((row) => this.view(row, now));
  }

  revoke(id: string, now: number): Authorization {
    const row = this.sql
      .exec<AuthorizationRow>(
        "UPDATE authorizations SET revoked_at = COALESCE(revoked_at, ?) WHERE id = ? RETURNING *",
        now,
        id,
      )
      .toArray()[0];
    if (!row) throw new ApiError("AUTHORIZATION_NOT_FOUND", `No authorization ${id}.`);
    return this.view(row, now);
  }

  /**
   * The authorization under which `creationId` may spend `amount` now, or a 403 with the
   * AUTH_* code that says why not.
   */
  check(creationId: string, amount: number, now: number): AuthorizationRow {
    const latest = this.sql
      .exec<AuthorizationRow>(
        "SELECT * FROM authorizations WHERE creation_id = ? ORDER BY created_at DESC, rowid DESC LIMIT 1",
        creationId,
      )
      .toArray()[0];
    if (!latest) {
      throw new ApiError(
        "AUTH_NO_AUTHORIZATION",
        "The user has not authorized this creation to spend from their wallet.",
      );
    }
    if (latest.revoked_at !== null) {
      throw new ApiError("AUTH_AUTHORIZATION_REVOKED", "The user revoked this creation's budget.");
    }
    if (latest.expires_at !== null && latest.expires_at <= now) {
      throw new ApiError(
        "AUTH_AUTHORIZATION_EXPIRED",
        "The user's budget for this creation expired.",
        {
          expired_at: iso(latest.expires_at),
        },
      );
    }
    const { spent, remaining, resetsAt } = this.usage(latest, now);
    if (amount > remaining) {
      throw new ApiError(
        "AUTH_BUDGET_EXCEEDED",
        `The budget allows ${remaining} more this ${latest.period === "total" ? "authorization" : latest.period}; this spend needs ${amount}.`,
        {
          limit: latest.spend_limit,
          period: latest.period,
          spent,
          remaining,
          required: amount,
          period_resets_at: isoOrNull(resetsAt),
        },
      );
    }
    return latest;
  }

  private usage(row: AuthorizationRow, now: number) {
    const { start, resetsAt } = periodBounds(row.period, now);
    const spent = this.ledger.spentSince(Math.max(start, row.created_at), {
      authorizationId: row.id,
    });
    const reserved = this.heldUnder(row.id);
    return { spent, remaining: Math.max(0, row.spend_limit - spent - reserved), resetsAt };
  }

  private view(row: AuthorizationRow, now: number): Authorization {
    const { spent, remaining, resetsAt } = this.usage(row, now);
    const status =
      row.revoked_at !== null
        ? "revoked"
        : row.expires_at !== null && row.expires_at <= now
          ? "expired"
          : "active";
    return {
      id: row.id,
      type: "budget",
      creation_id: row.creation_id,
      limit: row.spend_limit,
      period: row.period,
      status,
      spent,
      remaining,
      period_resets_at: isoOrNull(resetsAt),
      expires_at: isoOrNull(row.expires_at),
      revoked_at: isoOrNull(row.revoked_at),
      created_at: iso(row.created_at),
    };
  }
}
