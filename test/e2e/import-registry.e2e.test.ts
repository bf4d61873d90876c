// `npm run import-registry` against a running server: both old KV layouts, each twice.
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, inject, it } from "vitest";

const baseUrl = inject("baseUrl");
const root = fileURLToPath(new URL("../..", import.meta.url));
// The dev server runs with the committed example secrets; sign with the same.
const serviceSecret = /^SERVICE_SECRETS=([^,\n]+)/m.exec(
  readFileSync(join(root, ".dev.vars.example"), "utf8"),
)?.[1];

function importFile(contents: unknown) {
  const file = join(mkdtempSync(join(tmpdir(), "troupe-import-")), "export.json");
  writeFileSync(file, JSON.stringify(contents));
  const run = spawnSync(process.execPath, ["scripts/import-registry.mjs", file, "--url", baseUrl], {
    cwd: root,
    encoding: "utf8",
    env: { ...process.env, SERVICE_SECRET: serviceSecret },
  });
  expect(run.status, run.stderr).toBe(0);
  return { report: JSON.parse(run.stdout), summary: run.stderr.trim() };
}

const ownerOf = async (name: string) =>
  ((await (await fetch(`${baseUrl}/v1/subdomains/${name}`)).json()) as { owner: string | null })
    .owner;

describe("npm run import-registry", () => {
  it("loads a per-key KV export (wrangler kv bulk list) in batches, and is a no-op the second time", () => {
    const records = Array.from({ length: 250 }, (_, i) => ({
      key: `subdomain:bulk-${i}`,
      value: JSON.stringify({
        ownerId: `bulk-owner-${i % 7}`,
        claimedAt: "2026-02-11T00:00:00.000Z",
      }),
    }));
    records.push({ key: "user:bulk-owner-1", value: JSON.stringify({ subdomains: ["bulk-1"] }) });
    const first = importFile(records);
    expect(first.summary).toBe("imported 250, unchanged 0, skipped 1");
    expect(first.report.skipped).toEqual([
      { key: "user:bulk-owner-1", reason: "user records are rebuilt from the subdomain records" },
    ]);
    const second = importFile(records);
    expect(second.summary).toBe("imported 0, unchanged 250, skipped 1");
  });

  it("loads the old monolithic registry blob, twice", async () => {
    const blob = {
      registry: JSON.stringify({
        claims: {
          "blob-one": { userId: "old-1" },
          "blob-two": { ownerId: "old-2", status: "frozen" },
        },
        reserved: ["admin", "api", "www", "blob-reserved"],
      }),
    };
    expect(importFile(blob).summary).toBe("imported 3, unchanged 0, skipped 0");
    expect(importFile(blob).summary).toBe("imported 0, unchanged 3, skipped 0");
    expect(await ownerOf("blob-one")).toBe("old-1");
    expect(await ownerOf("bulk-249")).toBe("bulk-owner-4");
  });
});
