// `npm start`: wrangler dev on PORT (default 8787) with local SQLite, D1 and assets.
import { spawn, spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { ensureDevVars } from "./dev-vars.mjs";

const DEFAULT_PORT = "8787";

if (ensureDevVars()) console.log("Created .dev.vars from .dev.vars.example (development secrets).");

const wrangler = fileURLToPath(
  new URL("../node_modules/wrangler/bin/wrangler.js", import.meta.url),
);
const port = process.env.PORT || DEFAULT_PORT;
const child = spawn(process.execPath, [wrangler, "dev", "--port", port, ...process.argv.slice(2)], {
  stdio: "inherit",
});
for (const signal of ["SIGINT", "SIGTERM"]) process.on(signal, () => child.kill(signal));
child.on("exit", (code, signal) => process.exit(signal ? 1 : (code ?? 0)));
