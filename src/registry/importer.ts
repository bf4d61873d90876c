// Loads seed 004's KV data into the actors: per-key `subdomain:<name>`, `user:<id>` and
// `config:*` records, or the older monolithic `registry` blob (turned into per-key records
// first). Idempotent: a name already held by the same owner is "unchanged", and config that
// already holds is not written again. Every record gets an outcome and, if skipped, a reason.

import * as v from "valibot";
import { actorByName } from "../actors/refusal.ts";
import type { LegacyRecord } from "../actors/subdomain/legacy-import.ts";
import { EmailSchema, UserIdSchema } from "../shared/ids.ts";
import { jsonProblem, parseJsonOrUndefined } from "../shared/json.ts";
import { SUBDOMAIN_COLLABORATORS_MAX } from "../shared/limits.ts";
import type { Principal } from "../shared/schemas/principal.ts";
import { parseSubdomain } from "../shared/schemas/subdomain.ts";

/** How much of an unusable value a skipped entry of the report quotes. */
const SKIPPED_VALUE_MAX_CHARS = 64;

export interface ImportReport {
  imported: string[];
  unchanged: string[];
  skipped: { key: string; reason: string }[];
}

const LegacyRecordSchema = v.object({
  ownerId: UserIdSchema,
  claimedAt: v.optional(v.string()),
  status: v.optional(v.picklist(["active", "frozen"])),
  frozenAt: v.optional(v.nullable(v.string())),
  // Checked as the native API checks them: an id or email the API would refuse is not imported.
  collaborators: v.optional(
    v.pipe(
      v.array(
        v.object({
          email: EmailSchema,
          userId: v.optional(UserIdSchema),
          status: v.optional(v.picklist(["invited", "active"])),
          right: v.optional(v.string()),
          invitedAt: v.optional(v.string()),
          joinedAt: v.optional(v.string()),
        }),
      ),
      v.maxLength(SUBDOMAIN_COLLABORATORS_MAX),
    ),
  ),
});

/** The oldest records said `userId` where later ones say `ownerId`. */
function legacyRecord(value: unknown): LegacyRecord | null {
  const record = typeof value === "string" ? parseJsonOrUndefined(value) : value;
  // A record given as a JSON string gets the same checks as a body (no `__proto__` keys, depth).
  if (record === undefined || jsonProblem(record) !== null) return null;
  if (
    record &&
    typeof record === "object" &&
    !Object.hasOwn(record, "ownerId") &&
    Object.hasOwn(record, "userId")
  ) {
    return legacyRecord({ ...record, ownerId: (record as { userId: unknown }).userId });
  }
  const parsed = v.safeParse(LegacyRecordSchema, record);
  return parsed.success ? parsed.output : null;
}

export async function importRecords(
  env: Env,
  caller: Principal,
  records: Record<string, unknown>,
): Promise<ImportReport> {
  const report: ImportReport = { imported: [], unchanged: [], skipped: [] };
  const skip = (key: string, reason: string) => report.skipped.push({ key, reason });
  await Promise.all(
    Object.entries(records).map(async ([key, value]) => {
      const [prefix, ...rest] = key.split(":");
      const id = rest.join(":");
      if (prefix === "subdomain") return importSubdomain(env, caller, key, id, value, report);
      if (prefix === "user")
        return skip(key, "user records are rebuilt from the subdomain records");
      if (key === "config:reserved") return importReserved(env, caller, key, value, report);
      if (key === "config:preallocated") return importPreallocated(env, caller, key, value, report);
      skip(key, "unknown key");
    }),
  );
  for (const list of [report.imported, report.unchanged]) list.sort();
  report.skipped.sort((a, b) => a.key.localeCompare(b.key));
  return report;
}

async function importSubdomain(
  env: Env,
  caller: Principal,
  key: string,
  rawName: string,
  value: unknown,
  report: ImportReport,
) {
  let name: string;
  try {
    name = parseSubdomain(rawName);
  } catch {
    return report.skipped.push({ key, reason: "not a valid subdomain name" });
  }
  const record = legacyRecord(value);
  if (!record)
    return report.skipped.push({
      key,
      reason:
        "not a subdomain record (needs a valid ownerId, and valid collaborator emails and user ids)",
    });
  const { outcome, owner } = await actorByName(env.SUBDOMAIN, name).importLegacy(
    name,
    caller,
    record,
  );
  if (outcome === "imported") report.imported.push(key);
  else if (outcome === "unchanged") report.unchanged.push(key);
  else report.skipped.push({ key, reason: `already claimed by ${owner}` });
}

async function importReserved(
  env: Env,
  caller: Principal,
  key: string,
  value: unknown,
  report: ImportReport,
) {
  const names = typeof value === "string" ? parseJsonOrUndefined(value) : value;
  if (!Array.isArray(names)) return report.skipped.push({ key, reason: "not a list of names" });
  let changed = false;
  for (const raw of names) {
    const name = safeName(raw);
    if (!name) {
      report.skipped.push({ key: `${key}:${describe(raw)}`, reason: "not a valid subdomain name" });
      continue;
    }
    const actor = actorByName(env.SUBDOMAIN, name);
    if ((await actor.get(name, caller)).reserved) continue;
    await actor.setReservation(name, caller, { reserved: true });
    changed = true;
  }
  (changed ? report.imported : report.unchanged).push(key);
}

async function importPreallocated(
  env: Env,
  caller: Principal,
  key: string,
  value: unknown,
  report: ImportReport,
) {
  const entries = typeof value === "string" ? parseJsonOrUndefined(value) : value;
  if (!entries || typeof entries !== "object" || Array.isArray(entries)) {
    return report.skipped.push({ key, reason: "not a map of name to user id" });
  }
  let changed = false;
  for (const [raw, userId] of Object.entries(entries)) {
    const name = safeName(raw);
    if (!name || !v.is(UserIdSchema, userId)) {
      report.skipped.push({ key: `${key}:${raw}`, reason: "not a name and a user id" });
      continue;
    }
    const actor = actorByName(env.SUBDOMAIN, name);
    const projection = await actor.projection();
    if (projection?.preallocated_to === userId) continue;
    await actor.setReservation(name, caller, { preallocated_to: userId });
    changed = true;
  }
  (changed ? report.imported : report.unchanged).push(key);
}

/** Names a value in a report: a string as it is, anything else as (short) JSON. Never String():
 * an imported object may carry its own `toString` key, which String() would try to call. */
function describe(raw: unknown): string {
  const text = typeof raw === "string" ? raw : JSON.stringify(raw);
  return text.length > SKIPPED_VALUE_MAX_CHARS
    ? `${text.slice(0, SKIPPED_VALUE_MAX_CHARS)}…`
    : text;
}

function safeName(raw: unknown): string | null {
  try {
    return parseSubdomain(raw);
  } catch {
    return null;
  }
}
