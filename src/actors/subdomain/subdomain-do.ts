// SubdomainDO: one per name, the only authority on who holds it. A claim is decided here and
// nowhere else (never from D1 or a cache), so two users can never both win a name. It also
// keeps the name's status (frozen when its owner's billing lapses), its collaborators, and an
// admin's reservation or preallocation of the name.

import * as v from "valibot";
import {
  type SubdomainProjection,
  writeSubdomainProjection,
} from "../../projections/subdomains.ts";
import { clock } from "../../shared/clock.ts";
import { ApiError } from "../../shared/errors.ts";
import { SUBDOMAIN_COLLABORATORS_MAX } from "../../shared/limits.ts";
import type { Principal, UserPrincipal } from "../../shared/schemas/principal.ts";
import {
  type Access,
  type ClaimRequest,
  ClaimRequestSchema,
  type Invite,
  InviteSchema,
  type Reservation,
  ReservationSchema,
  type SettleReservation,
  SettleReservationSchema,
  type Subdomain,
} from "../../shared/schemas/subdomain.ts";
import { requireOperator } from "../access.ts";
import { Actor, type OutboxEnvelope } from "../actor.ts";
import { PROJECTION_TASK, projectionTask } from "../projection.ts";
import { refusalsAsValues } from "../refusal.ts";
import type { SubdomainEvent } from "../user/events.ts";
import { type ImportOutcome, importLegacyRecord, type LegacyRecord } from "./legacy-import.ts";
import { SubdomainRecord } from "./record.ts";
import { SUBDOMAIN_MIGRATIONS, type SubdomainRow } from "./schema.ts";

const StatusMessageSchema = v.object({
  name: v.string(),
  owner_id: v.string(),
  frozen: v.boolean(),
  seq: v.number(),
});

/** A subdomain event for a user's actor, before it is addressed (user_id added). */
type UserEventBody = SubdomainEvent extends infer E
  ? E extends SubdomainEvent
    ? Omit<E, "user_id">
    : never
  : never;

export type StatusMessage = v.InferInput<typeof StatusMessageSchema>;

export class SubdomainDO extends Actor {
  static override readonly migrations = SUBDOMAIN_MIGRATIONS;

  private readonly record = new SubdomainRecord({
    ctx: this.ctx,
    env: this.env,
    schedule: (request) => this.schedule(request),
  });

  protected override readonly tasks = {
    // One key, so a burst of changes is one D1 write.
    [PROJECTION_TASK]: projectionTask(
      () => {
        const row = this.record.row();
        return row ? this.record.projection(row) : null;
      },
      (projection) => writeSubdomainProjection(this.env.DB, projection),
    ),
  };

  // ── claims ─────────────────────────────────────────────────────────────────────────────

  /** First writer wins. Called by the claimer's UserDO, which has reserved a quota slot. */
  claim(input: ClaimRequest): Subdomain {
    const request = v.parse(ClaimRequestSchema, input);
    const row = this.record.open(request.name);
    if (row.owner_id !== null) {
      if (row.owner_id === request.user_id && row.reservation_id === request.reservation_id) {
        return this.record.view(row, true); // the same claim, retried
      }
      throw new ApiError("SUBDOMAIN_TAKEN", `"${row.name}" is already claimed.`, {
        subdomain: row.name,
      });
    }
    const abandoned = this.sql
      .exec("SELECT 1 FROM abandoned_reservations WHERE reservation_id = ?", request.reservation_id)
      .toArray();
    if (abandoned.length > 0) {
      throw new ApiError("CLAIM_EXPIRED", "This claim was abandoned before it arrived.");
    }
    if (!request.admin) this.checkClaimable(row, request.user_id);
    const now = clock.now();
    this.record.change(
      `UPDATE record SET owner_id = ?, status = ?, frozen_at = ?, claimed_at = ?, reservation_id = ?,
         status_seq = ?`,
      request.user_id,
      request.frozen ? "frozen" : "active",
      request.frozen ? now : null,
      now,
      request.reservation_id,
      request.seq,
    );
    return this.record.view(this.record.require(), true);
  }

  /**
   * Settles a reservation whose confirmation never reached the user's actor: "claimed" if it
   * won, else "abandoned" — and then a late copy of that claim is refused, so the name can
   * never end up owned but uncounted.
   */
  settleReservation(input: SettleReservation) {
    const request = v.parse(SettleReservationSchema, input);
    const row = this.record.open(request.name);
    if (row.owner_id === request.user_id && row.reservation_id === request.reservation_id) {
      return { outcome: "claimed" as const, claimed_at: row.claimed_at ?? clock.now() };
    }
    this.sql.exec(
      "INSERT OR IGNORE INTO abandoned_reservations (reservation_id, abandoned_at) VALUES (?, ?)",
      request.reservation_id,
      clock.now(),
    );
    return { outcome: "abandoned" as const, claimed_at: null };
  }

  /** The owner gives the name up; collaborators and the owner's index are told by outbox. */
  release(name: string, caller: Principal): void {
    const row = this.record.requireClaimed(name);
    this.authorizeOwner(caller, row);
    const collaborators = this.record.collaborators().filter((c) => c.user_id !== null);
    this.ctx.storage.transactionSync(() => {
      this.sql.exec("DELETE FROM collaborators");
      this.record.change(
        `UPDATE record SET owner_id = NULL, status = NULL, frozen_at = NULL, claimed_at = NULL,
           reservation_id = NULL, status_seq = 0`,
      );
      this.tellUser(row.owner_id as string, {
        kind: "released",
        name,
        reservation_id: row.reservation_id,
      });
      for (const collaborator of collaborators) {
        this.tellUser(collaborator.user_id as string, { kind: "collaboration-ended", name });
      }
    });
  }

  // ── collaborators ──────────────────────────────────────────────────────────────────────

  invite(name: string, caller: Principal, input: Invite): Subdomain {
    const row = this.record.requireClaimed(name);
    this.authorizeOwner(caller, row);
    const invite = v.parse(InviteSchema, input);
    const email = invite.email.toLowerCase();
    const existing = this.record.collaborator(email);
    if (!existing && this.record.collaborators().length >= SUBDOMAIN_COLLABORATORS_MAX) {
      throw new ApiError(
        "COLLABORATOR_LIMIT_REACHED",
        `A subdomain may have ${SUBDOMAIN_COLLABORATORS_MAX} collaborators; remove one first.`,
        { limit: SUBDOMAIN_COLLABORATORS_MAX },
      );
    }
    this.ctx.storage.transactionSync(() => {
      if (existing) {
        this.sql.exec("UPDATE collaborators SET right = ? WHERE email = ?", invite.right, email);
      } else {
        this.sql.exec(
          "INSERT INTO collaborators (email, status, right, invited_at) VALUES (?, 'invited', ?, ?)",
          email,
          invite.right,
          clock.now(),
        );
      }
      this.record.change("");
    });
    return this.record.view(this.record.require(), true);
  }

  /** The invited user accepts; the email comes from their verified token, never the body. */
  join(name: string, caller: UserPrincipal): Subdomain {
    const row = this.record.requireClaimed(name);
    if (!caller.email) {
      throw new ApiError("EMAIL_REQUIRED", "Joining needs a token with a verified email.");
    }
    const invited = this.record.collaborator(caller.email.toLowerCase());
    if (!invited) {
      throw new ApiError("NOT_INVITED", `${caller.email} has no invitation to "${row.name}".`);
    }
    if (invited.status === "invited" || invited.user_id !== caller.id) {
      this.ctx.storage.transactionSync(() => {
        this.sql.exec(
          "UPDATE collaborators SET status = 'active', user_id = ?, joined_at = ? WHERE email = ?",
          caller.id,
          clock.now(),
          invited.email,
        );
        this.record.change("");
        this.tellUser(caller.id, {
          kind: "collaboration-started",
          name: row.name,
          right: invited.right,
        });
      });
    }
    return this.record.view(this.record.require(), true);
  }

  /** The owner (or an admin) removes anyone; a collaborator may remove themselves. */
  removeCollaborator(name: string, caller: Principal, email: string): void {
    const row = this.record.requireClaimed(name);
    const collaborator = this.record.collaborator(email.toLowerCase());
    const leavingThemselves =
      caller.type === "user" && collaborator !== null && collaborator.user_id === caller.id;
    if (!leavingThemselves) this.authorizeOwner(caller, row);
    if (!collaborator)
      throw new ApiError("COLLABORATOR_NOT_FOUND", `${email} is not a collaborator.`);
    this.ctx.storage.transactionSync(() => {
      this.sql.exec("DELETE FROM collaborators WHERE email = ?", collaborator.email);
      this.record.change("");
      if (collaborator.user_id) {
        this.tellUser(collaborator.user_id, { kind: "collaboration-ended", name: row.name });
      }
    });
  }

  // ── reads ──────────────────────────────────────────────────────────────────────────────

  /** Anyone may see whether a name is free; its members and operators see its collaborators. */
  get(name: string, caller: Principal | null): Subdomain {
    const row = this.record.rowOrBlank(name);
    const member =
      caller !== null &&
      (caller.type === "service" ||
        (caller.type === "user" &&
          (caller.admin || this.record.roleOf(row, caller.id) !== "none")));
    return this.record.view(row, member);
  }

  access(name: string, userId: string | null): Access {
    const row = this.record.rowOrBlank(name);
    const role = userId === null ? "none" : this.record.roleOf(row, userId);
    const frozen = row.status === "frozen";
    return { has_access: (role === "owner" || role === "collaborator") && !frozen, role, frozen };
  }

  /**
   * Seed 004's unified resolution for a visitor: "unclaimed", "owner", "collaborator",
   * "invited" (their token's email has a pending invitation) or "none", and whether it is frozen.
   */
  resolve(
    name: string,
    visitor: { id: string; email: string | null } | null,
  ): { role: "unclaimed" | "owner" | "collaborator" | "invited" | "none"; frozen: boolean } {
    const row = this.record.rowOrBlank(name);
    const frozen = row.status === "frozen";
    if (row.owner_id === null) return { role: "unclaimed", frozen: false };
    if (visitor === null) return { role: "none", frozen };
    const role = this.record.roleOf(row, visitor.id);
    if (role !== "none") return { role, frozen };
    const invited = visitor.email ? this.record.collaborator(visitor.email.toLowerCase()) : null;
    return { role: invited?.status === "invited" ? "invited" : "none", frozen };
  }

  /** The owner, for the owner's actor to check its index against (audit). */
  ownerOf(): { owner_id: string | null; reservation_id: string | null } {
    const row = this.record.row();
    return { owner_id: row?.owner_id ?? null, reservation_id: row?.reservation_id ?? null };
  }

  /** The D1 projection of this name, or null when nothing was ever written for it. */
  projection(): SubdomainProjection | null {
    const row = this.record.row();
    return row ? this.record.projection(row) : null;
  }

  // ── status, reservations, import ───────────────────────────────────────────────────────

  /** Outbox receiver: the owner's actor freezes or unfreezes the name as billing changes.
   * A message for a former owner, or older than the last one applied, changes nothing. */
  applyStatus(envelope: OutboxEnvelope<StatusMessage>): void {
    const message = this.messageOf(envelope, StatusMessageSchema);
    this.record.open(message.name);
    this.receiveOnce(envelope, () => {
      const row = this.record.require();
      if (row.owner_id !== message.owner_id || message.seq <= row.status_seq) return;
      const frozen = row.status === "frozen";
      this.record.change(
        "UPDATE record SET status = ?, frozen_at = ?, status_seq = ?",
        message.frozen ? "frozen" : "active",
        message.frozen ? (frozen ? row.frozen_at : clock.now()) : null,
        message.seq,
      );
    });
  }

  /** Admin: reserve a name, lift a default reservation, or set it aside for one user. */
  setReservation(name: string, caller: Principal, input: Reservation): Subdomain {
    requireOperator(caller);
    const reservation = v.parse(ReservationSchema, input);
    const row = this.record.open(name);
    this.record.change(
      "UPDATE record SET reserved = ?, preallocated_to = ?",
      reservation.reserved === undefined ? row.reserved : Number(reservation.reserved),
      reservation.preallocated_to === undefined ? row.preallocated_to : reservation.preallocated_to,
    );
    return this.record.view(this.record.require(), true);
  }

  /**
   * Importer: writes a legacy record unless the name is already held. Returns what happened;
   * the owner's index is told through the outbox like any claim.
   */
  importLegacy(name: string, caller: Principal, record: LegacyRecord): ImportOutcome {
    requireOperator(caller);
    return importLegacyRecord(
      this.ctx,
      this.record,
      (id, message) => this.tellUser(id, message),
      name,
      record,
    );
  }

  // ── internals ──────────────────────────────────────────────────────────────────────────

  private checkClaimable(row: SubdomainRow, userId: string): void {
    if (row.preallocated_to !== null) {
      if (row.preallocated_to === userId) return;
      throw new ApiError("SUBDOMAIN_PREALLOCATED", `"${row.name}" is set aside for another user.`);
    }
    if (this.record.isReserved(row))
      throw new ApiError("SUBDOMAIN_RESERVED", `"${row.name}" is reserved.`);
  }

  private authorizeOwner(caller: Principal, row: SubdomainRow): void {
    if (caller.type === "service") return;
    if (caller.type === "user" && (caller.id === row.owner_id || caller.admin)) return;
    if (caller.type === "creation") {
      throw new ApiError("CREATION_SCOPE_DENIED", "A creation token may not manage subdomains.");
    }
    throw new ApiError("FORBIDDEN", `Only the owner of "${row.name}" may do this.`);
  }

  private tellUser(userId: string, event: UserEventBody) {
    this.enqueue("USER", userId, "subdomainEvent", { ...event, user_id: userId } as SubdomainEvent);
  }
}

refusalsAsValues<SubdomainDO, Actor>(SubdomainDO, {
  claim: true,
  settleReservation: true,
  release: true,
  invite: true,
  join: true,
  removeCollaborator: true,
  get: true,
  access: true,
  resolve: true,
  ownerOf: true,
  projection: true,
  applyStatus: true,
  setReservation: true,
  importLegacy: true,
});
