// The README's walk-through, run exactly as written against wrangler dev, so it cannot drift:
// every block marked `<!-- walkthrough -->` runs in order in one bash, and every curl fails the
// run on an HTTP error (a stale token, a missing variable, a renamed route).
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, inject, it } from "vitest";

const baseUrl = inject("baseUrl");
const root = fileURLToPath(new URL("../..", import.meta.url));
const WALKTHROUGH_BLOCK = /<!-- walkthrough[^>]*-->\s*```sh\n([\s\S]*?)```/g;

// The README talks to localhost:8787; the test server listens elsewhere.
const PREAMBLE = `set -euo pipefail
curl() {
  local args=()
  for arg in "$@"; do args+=("\${arg//localhost:8787/$TEST_HOST}"); done
  command curl --fail-with-body --silent --show-error "\${args[@]}"
}
`;

describe("README walk-through", () => {
  it("runs top to bottom against the server, every request answered with a 2xx", () => {
    const readme = readFileSync(join(root, "README.md"), "utf8");
    const blocks = [...readme.matchAll(WALKTHROUGH_BLOCK)].map((match) => match[1]);
    expect(blocks.length).toBe(11);
    const run = spawnSync("bash", ["-c", PREAMBLE + blocks.join("\n")], {
      cwd: root,
      encoding: "utf8",
      env: { ...process.env, TEST_HOST: new URL(baseUrl).host },
      timeout: 120_000,
    });
    expect(run.status, `${run.stderr}\n--- stdout ---\n${run.stdout.slice(-2000)}`).toBe(0);
    expect(run.stdout).toContain('"type":"service","id":"platform"');
    expect(run.stdout).toContain('"name":"Poll party"');
    expect(run.stdout).toContain('"kind":"secret","mode":"live","name":"game server"');
    expect(run.stdout).toContain("the revoked key: 401");
    expect(run.stdout).toContain('"user_id":"alice","role":"owner"');
    expect(run.stdout).toContain("the sixth call: 403");
    expect(run.stdout).toContain('"error":"Tier limit reached","usageCount":5,"limit":5');
    expect(run.stdout).toContain('"top_users":[{"user_id":"user_yyy","plan":"paid","count":6}]');
    expect(run.stdout).toContain("verified offline: bob bought hints for 20");
    expect(run.stdout).toContain('"sku":"hints","type":"consumable","uses_remaining":4');
    expect(run.stdout).toContain('"gross":20,"creator_share":16,"platform_share":4,"count":1');
  });
});
