// A name's record in its SubdomainDO's SQLite: the claim, status, reservation and collaborators,
// how each is read and changed, and the views the API and the D1 projection are built from.
// Every change bumps the record's revision and schedules the projection in one transaction.

import type { SubdomainProjection } from "../../projections/subdomains.ts";
import { isReservedName } from "../../shared/config.ts";
import { ApiError } from "../../shared/errors.ts";
import type { Subdomain } from "../../shared/schemas/subdomain.ts";
import { iso, isoOrNull } from "../../shared/time.ts";
import { assertOwnName } from "../own-name.ts";
import { projectionJob } from "../projection.ts";
import type { ScheduleRequest } from "../scheduler.ts";
import type { CollaboratorRow, SubdomainRow } from "./schema.ts";

export type Role = "owner" | "collaborator" | "invited" | "none";

/** What the record needs from its actor. */
export interface RecordHost {
  ctx: DurableObjectState;
  env: Env;
  schedule(request: ScheduleRequest): number;
}

export class SubdomainRecord {
  private readonly sql: SqlStorage;

  constructor(private readonly host: RecordHost) {
    this.sql = host.ctx.storage.sql;
  }

  /** The record, created (unclaimed) on the first write for this name. */
  open(name: string): SubdomainRow {
    const row = this.row();
    if (row) {
      assertOwnName("subdomain", row.name, name);
      return row;
    }
    this.sql.exec("INSERT INTO record (only, name) VALUES (1, ?)", name);
    return this.require();
  }

  row(): SubdomainRow | null {
    return this.sql.exec<SubdomainRow>("SELECT * FROM record").toArray()[0] ?? null;
  }

  /** The record as stored, or as an unclaimed name that was never written. */
  rowOrBlank(name: string): SubdomainRow {
    return this.row() ?? blank(name);
  }

  require(): SubdomainRow {
    const row = this.row();
    if (!row) throw new Error("the subdomain record is missing");
    return row;
  }

  requireClaimed(name: string): SubdomainRow {
    const row = this.row();
    if (!row?.owner_id) throw new ApiError("SUBDOMAIN_NOT_FOUND", `"${name}" is not claimed.`);
    return row;
  }

  /** Runs one change of the record, bumps its revision and schedules the D1 projection. */
  change(sql: string, ...bindings: unknown[]): void {
    this.host.ctx.storage.transactionSync(() => {
      if (sql) this.sql.exec(sql, ...bindings);
      this.sql.exec("UPDATE record SET revision = revision + 1");
      this.host.schedule(projectionJob);
    });
  }

  collaborator(email: string): CollaboratorRow | null {
    return (
      this.sql
        .exec<CollaboratorRow>("SELECT * FROM collaborators WHERE email = ?", email)
        .toArray()[0] ?? null
    );
  }

  collaborators(): CollaboratorRow[] {
    return this.sql
      .exec<CollaboratorRow>("SELECT * FROM collaborators ORDER BY invited_at, email")
      .toArray();
  }

  roleOf(row: SubdomainRow, userId: string): Role {
    if (row.owner_id === null) return "none";
    if (row.owner_id === userId) return "owner";
    const collaborator = this.sql
      .exec<CollaboratorRow>("SELECT * FROM collaborators WHERE user_id = ?", userId)
      .toArray()[0];
    return collaborator?.status === "active" ? "collaborator" : "none";
  }

  /** Reserved by an admin's override, else by the RESERVED_SUBDOMAINS default. */
  isReserved(row: SubdomainRow): boolean {
    return isReservedName(this.host.env, row);
  }

  view(row: SubdomainRow, withCollaborators: boolean): Subdomain {
    const reserved = this.isReserved(row);
    return {
      name: row.name,
      available: row.owner_id === null && !reserved && row.preallocated_to === null,
      reserved,
      preallocated: row.preallocated_to !== null,
      owner: row.owner_id,
      status: row.status,
      frozen_at: isoOrNull(row.frozen_at),
      claimed_at: isoOrNull(row.claimed_at),
      ...(withCollaborators && row.owner_id !== null
        ? {
            collaborators: this.collaborators().map((c) => ({
              email: c.email,
              user_id: c.user_id,
              status: c.status,
              right: c.right,
              invited_at: iso(c.invited_at),
              joined_at: isoOrNull(c.joined_at),
            })),
          }
        : {}),
    };
  }

  projection(row: SubdomainRow): SubdomainProjection {
    const view = this.view(row, true);
    return {
      name: row.name,
      owner_id: row.owner_id,
      status: row.status,
      frozen_at: view.frozen_at,
      claimed_at: view.claimed_at,
      reserved: row.reserved,
      preallocated_to: row.preallocated_to,
      collaborators: view.collaborators ?? [],
      revision: row.revision,
    };
  }
}

function blank(name: string): SubdomainRow {
  return {
    name,
    owner_id: null,
    status: null,
    frozen_at: null,
    claimed_at: null,
    reservation_id: null,
    status_seq: 0,
    reserved: null,
    preallocated_to: null,
    revision: 0,
  };
}
