// Subdomains: names, collaborators, and the views the registry answers with.

import * as v from "valibot";
import { ApiError } from "../errors.ts";
import { EmailSchema, UserIdSchema } from "../ids.ts";
import { SUBDOMAIN_MAX_LENGTH } from "../limits.ts";

const DNS_LABEL = /^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$/;

/** A subdomain: one DNS label. Case-insensitive like every DNS name, so `Alice` is `alice`;
 * anything else (spaces, tabs, dots) is refused, never trimmed away. */
export const SubdomainNameSchema = v.pipe(
  v.string(),
  v.toLowerCase(),
  v.minLength(1, "must not be empty"),
  v.maxLength(SUBDOMAIN_MAX_LENGTH, `must be at most ${SUBDOMAIN_MAX_LENGTH} characters`),
  v.regex(DNS_LABEL, "must be a-z, 0-9 and -, without a hyphen at either end"),
);

export const SubdomainParamsSchema = v.object({ name: v.string() });

export const CollaboratorRightSchema = v.picklist(["read", "write", "admin"]);

export const InviteSchema = v.strictObject({
  email: EmailSchema,
  right: v.optional(CollaboratorRightSchema, "write"),
});

export const CollaboratorParamsSchema = v.object({ name: v.string(), email: v.string() });

export const AccessQuerySchema = v.object({ user_id: UserIdSchema });

export const CollaboratorSchema = v.object({
  email: v.string(),
  user_id: v.nullable(v.string()),
  status: v.picklist(["invited", "active"]),
  right: CollaboratorRightSchema,
  invited_at: v.string(),
  joined_at: v.nullable(v.string()),
});

export const SubdomainStatusSchema = v.picklist(["active", "frozen"]);

export const SubdomainSchema = v.object({
  name: v.string(),
  available: v.boolean(),
  /** Why an unclaimed name cannot be claimed by everyone, if it cannot. */
  reserved: v.boolean(),
  preallocated: v.boolean(),
  owner: v.nullable(v.string()),
  status: v.nullable(SubdomainStatusSchema),
  frozen_at: v.nullable(v.string()),
  claimed_at: v.nullable(v.string()),
  /** Shown to the owner, collaborators, admins and the platform only. */
  collaborators: v.optional(v.array(CollaboratorSchema)),
});

export const RoleSchema = v.picklist(["owner", "collaborator", "invited", "none"]);

export const AccessSchema = v.object({
  has_access: v.boolean(),
  role: RoleSchema,
  frozen: v.boolean(),
});

export const MySubdomainsSchema = v.object({
  owned: v.array(v.object({ name: v.string(), frozen: v.boolean(), claimed_at: v.string() })),
  collaborating: v.array(v.object({ name: v.string(), right: v.string() })),
  plan: v.nullable(v.string()),
  /** Subdomains the plan allows; null = unlimited. */
  limit: v.nullable(v.number()),
});

export const ReservationSchema = v.strictObject({
  /** true reserves the name; false lifts a default reservation; omit to keep the default. */
  reserved: v.optional(v.boolean()),
  /** Only this user may claim the name; null clears it. */
  preallocated_to: v.optional(v.nullable(UserIdSchema)),
});

export type Invite = v.InferOutput<typeof InviteSchema>;
export type Collaborator = v.InferOutput<typeof CollaboratorSchema>;
export type Subdomain = v.InferOutput<typeof SubdomainSchema>;
export type Access = v.InferOutput<typeof AccessSchema>;
export type Role = v.InferOutput<typeof RoleSchema>;
export type MySubdomains = v.InferOutput<typeof MySubdomainsSchema>;
export type Reservation = v.InferOutput<typeof ReservationSchema>;

/** The canonical name, or 400 INVALID_SUBDOMAIN saying what is wrong with it. */
export function parseSubdomain(name: unknown): string {
  const result = v.safeParse(SubdomainNameSchema, name);
  if (result.success) return result.output;
  throw new ApiError("INVALID_SUBDOMAIN", `"${String(name)}" ${result.issues[0]?.message}.`, {
    subdomain: String(name),
  });
}

/** UserDO → SubdomainDO: one claim of the claim saga (parsed again inside the actor). */
export const ClaimRequestSchema = v.object({
  name: v.string(),
  user_id: UserIdSchema,
  reservation_id: v.pipe(v.string(), v.minLength(1)),
  /** The claimer's billing sequence now: status messages older than it are ignored. */
  seq: v.pipe(v.number(), v.integer()),
  admin: v.boolean(),
  /** Claimed by a user whose subscription lapsed: frozen from the start. */
  frozen: v.boolean(),
});
export type ClaimRequest = v.InferOutput<typeof ClaimRequestSchema>;

/** UserDO → SubdomainDO: did the claim of this reservation land? */
export const SettleReservationSchema = v.object({
  name: v.string(),
  reservation_id: v.pipe(v.string(), v.minLength(1)),
  user_id: UserIdSchema,
});
export type SettleReservation = v.InferOutput<typeof SettleReservationSchema>;

/** Stripe webhook → UserDO: a subscription change, applied once per event id. */
export const BillingChangeSchema = v.object({
  event_id: v.pipe(v.string(), v.minLength(1)),
  /** The event's `created` (unix seconds): an older event never undoes a newer one. */
  created: v.pipe(v.number(), v.integer()),
  subscription: v.picklist(["active", "canceled"]),
  /** The plan slug for "active" (e.g. "starter"); ignored for "canceled". */
  plan: v.nullable(v.string()),
});
export type BillingChange = v.InferOutput<typeof BillingChangeSchema>;
