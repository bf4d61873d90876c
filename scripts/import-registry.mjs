// `npm run import-registry -- <export.json> --url <base URL>`
// Loads seed 004's KV registry export (per-key records, a `wrangler kv bulk` list, or the old
// monolithic `registry` blob) into troupe through the admin import endpoint, in batches, signed
// as the platform. Safe to run twice: what is already there is reported as unchanged.
import { readFileSync } from "node:fs";
import { recordsFromExport } from "../src/registry/layouts.ts";
import { REGISTRY_IMPORT_BATCH_MAX } from "../src/shared/limits.ts";
import { signRequest } from "../src/shared/service-signature.ts";
import { fail, readDevVars } from "./dev-vars.mjs";

const args = process.argv.slice(2);
const file = args.find((arg) => !arg.startsWith("--") && args[args.indexOf(arg) - 1] !== "--url");
const base = args[args.indexOf("--url") + 1];
if (!file || args.indexOf("--url") < 0 || !base) {
  fail("usage: npm run import-registry -- <export.json> --url <base URL>");
}
const [secret] = (process.env.SERVICE_SECRET ?? readDevVars().SERVICE_SECRETS ?? "")
  .split(",")
  .map((s) => s.trim());
if (!secret) fail("set SERVICE_SECRET (or SERVICE_SECRETS in .dev.vars)");

const report = { imported: [], unchanged: [], skipped: [] };
const path = "/v1/admin/registry/import";

async function send(body) {
  const { timestamp, signature } = await signRequest(secret, {
    method: "POST",
    pathAndQuery: path,
    body,
  });
  const response = await fetch(new URL(path, base), {
    method: "POST",
    headers: {
      "content-type": "application/json",
      "troupe-timestamp": timestamp,
      "troupe-signature": signature,
    },
    body,
  });
  return { response, timestamp: Number(timestamp) };
}

/** Resolves once the clock reads a later second than `timestamp` (a timer may fire a hair
 *  before the wall clock turns, so the clock itself is what is waited for). */
async function secondAfter(timestamp) {
  while (Math.floor(Date.now() / 1000) <= timestamp) {
    await new Promise((resolve) => setTimeout(resolve, 1000 - (Date.now() % 1000) + 5));
  }
}

const entries = Object.entries(recordsFromExport(JSON.parse(readFileSync(file, "utf8"))));
for (let start = 0; start < entries.length; start += REGISTRY_IMPORT_BATCH_MAX) {
  const body = JSON.stringify({
    records: Object.fromEntries(entries.slice(start, start + REGISTRY_IMPORT_BATCH_MAX)),
  });
  let { response, timestamp } = await send(body);
  if (response.status === 401 && (await response.clone().json()).code === "SIGNATURE_REPLAYED") {
    // An earlier run in this same second signed the very same bytes, and a signed request is
    // accepted once. This run is a new request of the operator's, so sign it again a second on.
    await secondAfter(timestamp);
    ({ response } = await send(body));
  }
  if (!response.ok) fail(`batch at ${start}: HTTP ${response.status} ${await response.text()}`);
  const batch = await response.json();
  for (const key of ["imported", "unchanged", "skipped"]) report[key].push(...batch[key]);
}
console.log(JSON.stringify(report, null, 2));
console.error(
  `imported ${report.imported.length}, unchanged ${report.unchanged.length}, skipped ${report.skipped.length}`,
);
