// Seed 004's KV records into a SubdomainDO: a legacy record is written unless the name is already
// held; its active collaborators and its owner are told through the outbox like any claim.

import { clock } from "../../shared/clock.ts";
import type { SubdomainRecord } from "./record.ts";

/** A legacy record as seed 004's KV held it (per-key `subdomain:<name>` or a blob entry). */
export interface LegacyRecord {
  ownerId: string;
  claimedAt?: string;
  status?: "active" | "frozen";
  frozenAt?: string | null;
  collaborators?: {
    email: string;
    userId?: string;
    status?: "invited" | "active";
    right?: string;
    invitedAt?: string;
    joinedAt?: string;
  }[];
}

export type ImportOutcome = {
  outcome: "imported" | "unchanged" | "conflict";
  owner: string | null;
};

type TellUser = (
  userId: string,
  event:
    | { kind: "collaboration-started"; name: string; right: string }
    | {
        kind: "imported";
        name: string;
        reservation_id: string;
        claimed_at: number;
        frozen: boolean;
      },
) => void;

const RIGHTS = ["read", "write", "admin"];
const time = (text: string | null | undefined) => Date.parse(text ?? "") || null;

export function importLegacyRecord(
  ctx: DurableObjectState,
  record: SubdomainRecord,
  tellUser: TellUser,
  name: string,
  legacy: LegacyRecord,
): ImportOutcome {
  const row = record.open(name);
  if (row.owner_id !== null) {
    return {
      outcome: row.owner_id === legacy.ownerId ? "unchanged" : "conflict",
      owner: row.owner_id,
    };
  }
  const claimedAt = time(legacy.claimedAt) ?? clock.now();
  const frozen = legacy.status === "frozen";
  const reservationId = `import:${name}`;
  ctx.storage.transactionSync(() => {
    record.change(
      `UPDATE record SET owner_id = ?, status = ?, frozen_at = ?, claimed_at = ?, reservation_id = ?,
         status_seq = 0`,
      legacy.ownerId,
      frozen ? "frozen" : "active", // legacy records without status are active
      frozen ? (time(legacy.frozenAt) ?? clock.now()) : null,
      claimedAt,
      reservationId,
    );
    for (const c of legacy.collaborators ?? []) {
      const active = c.status === "active" && c.userId;
      ctx.storage.sql.exec(
        `INSERT OR REPLACE INTO collaborators (email, user_id, status, right, invited_at, joined_at)
         VALUES (?, ?, ?, ?, ?, ?)`,
        c.email.toLowerCase(),
        active ? c.userId : null,
        active ? "active" : "invited",
        RIGHTS.includes(c.right ?? "") ? c.right : "write",
        time(c.invitedAt) ?? claimedAt,
        active ? (time(c.joinedAt) ?? claimedAt) : null,
      );
      if (active) {
        tellUser(c.userId as string, {
          kind: "collaboration-started",
          name,
          right: c.right ?? "write",
        });
      }
    }
    tellUser(legacy.ownerId, {
      kind: "imported",
      name,
      reservation_id: reservationId,
      claimed_at: claimedAt,
      frozen,
    });
  });
  return { outcome: "imported", owner: legacy.ownerId };
}
