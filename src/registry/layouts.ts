// Seed 004's KV layouts, turned into per-key records. Shared by the admin import endpoint and
// `npm run import-registry` (which runs this file on Node), so both read exports the same way.

import { invalidField } from "../shared/errors.ts";

type Records = Record<string, unknown>;

function parsed(value: unknown): unknown {
  if (typeof value !== "string") return value;
  try {
    return JSON.parse(value);
  } catch {
    return value;
  }
}

/** The monolithic blob as per-key records: `{ claims: { name: record }, reserved, preallocated }`. */
export function recordsFromBlob(blob: unknown): Records {
  const value = parsed(blob) as {
    claims?: Records;
    reserved?: unknown;
    preallocated?: unknown;
  } | null;
  if (!value || typeof value !== "object" || Array.isArray(value)) {
    throw invalidField("body", "registry", "is not a registry blob");
  }
  const records: Records = {};
  for (const [name, record] of Object.entries(value.claims ?? {}))
    records[`subdomain:${name}`] = record;
  if (value.reserved !== undefined) records["config:reserved"] = value.reserved;
  if (value.preallocated !== undefined) records["config:preallocated"] = value.preallocated;
  return records;
}

/**
 * Any export of the old registry: a `wrangler kv bulk` style list of `{ key, value }`, an
 * object of key → value, either of them holding the old `registry` key, or the blob itself.
 */
export function recordsFromExport(file: unknown): Records {
  const entries: Records = Array.isArray(file)
    ? Object.fromEntries(
        file.map((entry: { key?: unknown; name?: unknown; value?: unknown }) => [
          String(entry.key ?? entry.name),
          entry.value,
        ]),
      )
    : ((file ?? {}) as Records);
  if ("claims" in entries) return recordsFromBlob(entries);
  const { registry, ...perKey } = entries;
  return registry === undefined ? perKey : { ...recordsFromBlob(registry), ...perKey };
}
