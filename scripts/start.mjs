// `npm start`: wrangler dev on PORT (default 8787) with local SQLite, D1 and assets.
import { spawn, spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { addMissingDevVars, ensureDevVars } from "./dev-vars.mjs";

const DEFAULT_PORT = "8787";

if (ensureDevVars()) console.log("Created .dev.vars from .dev.vars.example (development secrets).");
const added = addMissingDevVars();
if (added.length > 0) {
  console.log(
    `Added ${added.join(", ")} to .dev.vars from .dev.vars.example (development values).`,
  );
}

const wrangler = fileURLToPath(
  new URL("../node_modules/wrangler/bin/wrangler.js", import.meta.url),
);
const port = process.env.PORT || DEFAULT_PORT;

// wrangler dev does not apply D1 migrations by itself; the local database needs them first.
const migrate = spawnSync(
  process.execPath,
  [wrangler, "d1", "migrations", "apply", "DB", "--local"],
  {
    stdio: ["ignore", "inherit", "inherit"],
  },
);
if (migrate.status !== 0) process.exit(migrate.status ?? 1);
// Local development needs no network: no Request.cf download (its failure offline prints a stack
// trace), no usage metrics. Either can be turned back on from the environment.
const offline = {
  CLOUDFLARE_CF_FETCH_ENABLED: process.env.CLOUDFLARE_CF_FETCH_ENABLED ?? "false",
  WRANGLER_SEND_METRICS: process.env.WRANGLER_SEND_METRICS ?? "false",
};
const child = spawn(process.execPath, [wrangler, "dev", "--port", port, ...process.argv.slice(2)], {
  stdio: "inherit",
  env: { ...process.env, ...offline },
});
for (const signal of ["SIGINT", "SIGTERM"]) process.on(signal, () => child.kill(signal));
child.on("exit", (code, signal) => process.exit(signal ? 1 : (code ?? 0)));
