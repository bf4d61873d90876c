// Derives the bench Worker's config from wrangler.jsonc: same bindings and settings, plus the
// bare baseline actor, with the bench entry as main. Written to a temporary directory.
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import ts from "typescript";

const ROOT = fileURLToPath(new URL("..", import.meta.url));

export function writeBenchConfig() {
  const text = readFileSync(join(ROOT, "wrangler.jsonc"), "utf8");
  const { config, error } = ts.parseConfigFileTextToJson("wrangler.jsonc", text);
  if (error)
    throw new Error(`wrangler.jsonc: ${ts.flattenDiagnosticMessageText(error.messageText, "\n")}`);
  const bench = {
    ...config,
    main: join(ROOT, "bench/worker.ts"),
    // The bench serves no example pages, so it skips the client build step.
    build: undefined,
    assets: { ...config.assets, directory: join(ROOT, config.assets.directory) },
    durable_objects: {
      bindings: [
        ...config.durable_objects.bindings,
        { name: "BENCH_BARE", class_name: "BareActor" },
        { name: "BENCH_RAW_ROOM", class_name: "RawRoom" },
        { name: "BENCH_LEDGER", class_name: "MinimalLedger" },
        { name: "BENCH_COUNTER", class_name: "MinimalCounter" },
      ],
    },
    migrations: [
      ...config.migrations,
      { tag: "bench-bare", new_sqlite_classes: ["BareActor", "RawRoom", "MinimalLedger"] },
      { tag: "bench-counter", new_sqlite_classes: ["MinimalCounter"] },
    ],
    // The bench is one client making thousands of calls (it creates 100+ creations, each a
    // credential minted): the per-address edge limits would measure the limiter, not troupe.
    ratelimits: config.ratelimits.map((limit) => ({
      ...limit,
      simple: { ...limit.simple, limit: 1_000_000 },
    })),
    d1_databases: config.d1_databases.map((db) => ({
      ...db,
      migrations_dir: join(ROOT, db.migrations_dir),
    })),
  };
  const path = join(mkdtempSync(join(tmpdir(), "troupe-bench-")), "wrangler.json");
  writeFileSync(path, JSON.stringify(bench, null, 2));
  return path;
}
