// Starts `wrangler dev` for browser tests and benchmarks: a free port, the committed
// development secrets, and throwaway local state, so runs never touch a developer's data.
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { DEV_VARS_EXAMPLE_PATH } from "./dev-vars.mjs";

const STARTUP_TIMEOUT_MS = 60_000;
const STARTUP_POLL_INTERVAL_MS = 250;
const ROOT = fileURLToPath(new URL("..", import.meta.url));
const WRANGLER = join(ROOT, "node_modules/wrangler/bin/wrangler.js");

export function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/**
 * @param {{ config?: string, vars?: Record<string, string> }} options
 *   config: another Wrangler config (e.g. the bench Worker's); default wrangler.jsonc.
 * @returns {Promise<{ baseUrl: string, inspectorPort: number, stop: () => Promise<void> }>}
 */
export async function startDevServer(options = {}) {
  const [port, inspectorPort] = [await freePort(), await freePort()];
  const state = mkdtempSync(join(tmpdir(), "troupe-dev-"));
  const configArgs = options.config ? ["--config", options.config] : [];
  const migrate = spawnSync(
    process.execPath,
    [WRANGLER, "d1", "migrations", "apply", "DB", "--local", "--persist-to", state, ...configArgs],
    { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"], encoding: "utf8" },
  );
  if (migrate.status !== 0)
    throw new Error(`D1 migrations failed:\n${migrate.stdout}${migrate.stderr}`);
  const args = [WRANGLER, "dev", ...configArgs, "--ip", "127.0.0.1", "--port", String(port)];
  args.push("--inspector-port", String(inspectorPort), "--persist-to", state);
  args.push("--env-file", DEV_VARS_EXAMPLE_PATH, "--log-level", "warn");
  args.push("--show-interactive-dev-session=false");
  for (const [name, value] of Object.entries(options.vars ?? {}))
    args.push("--var", `${name}:${value}`);

  const child = spawn(process.execPath, args, {
    cwd: ROOT,
    stdio: ["ignore", "pipe", "pipe"],
    // Offline: no Request.cf download, no usage metrics.
    env: { ...process.env, CLOUDFLARE_CF_FETCH_ENABLED: "false", WRANGLER_SEND_METRICS: "false" },
  });
  let output = "";
  child.stdout.on("data", (chunk) => (output += chunk));
  child.stderr.on("data", (chunk) => (output += chunk));
  const exited = new Promise((resolve) => child.once("exit", resolve));

  const stop = async () => {
    if (child.exitCode === null) child.kill("SIGTERM");
    await exited;
    rmSync(state, { recursive: true, force: true });
  };

  const baseUrl = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + STARTUP_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) break;
    try {
      if ((await fetch(`${baseUrl}/health`)).ok) return { baseUrl, inspectorPort, stop };
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, STARTUP_POLL_INTERVAL_MS));
  }
  await stop();
  throw new Error(`wrangler dev did not become healthy on ${baseUrl}:\n${output}`);
}
