// `npm run bench:profile -- spend` (or `room`, `track`): a CPU profile of the bench Worker while one hot
// scenario runs, printed as the functions with the most self time. It reads the V8 inspector
// that `wrangler dev` exposes, so it sees the router and every actor (they share one isolate
// here). Use it to find where a request's time goes before changing code; `npm run bench`
// then says whether the change paid.
import { writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startDevServer } from "../scripts/dev-server.mjs";
import { readDevVars } from "../scripts/dev-vars.mjs";
import { writeBenchConfig } from "./config.mjs";
import { benchFixtures } from "./fixtures.mjs";
import { connectInspector } from "./inspector.mjs";
import { run } from "./measure.mjs";
import { openSaturation } from "./rooms.mjs";

const TOP_FUNCTIONS = 40;
const PROFILED_ROUNDS = 3;
const PROFILED_CLIENTS = 100;
const PROFILED_SPENDS = 3000;
const PROFILED_CONCURRENCY = 50;

const vars = readDevVars();
const server = await startDevServer({ config: writeBenchConfig() });
const { url, jwtFor, createCreation, createFundedCreation, roomUrlWithTicket } = benchFixtures(
  server.baseUrl,
  vars,
);

/** Source lines of the bundle by script id, to name anonymous functions by their code. */
const sources = new Map();

const keyOf = ({ functionName, url: file, lineNumber, scriptId }) => {
  const where = file ? `${file.split("/").at(-1)}:${lineNumber + 1}` : "";
  const code = functionName ? "" : (sources.get(scriptId)?.[lineNumber]?.trim().slice(0, 70) ?? "");
  return `${functionName || "(anonymous)"} ${where} ${code}`.trim();
};

/** Self and total (inclusive) time per function, largest first. */
function summarize(profile) {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const parent = new Map();
  for (const node of profile.nodes)
    for (const child of node.children ?? []) parent.set(child, node.id);
  const self = new Map();
  const inclusive = new Map();
  let total = 0;
  profile.samples.forEach((id, index) => {
    const delta = profile.timeDeltas[index] ?? 0;
    total += delta;
    const leaf = keyOf(byId.get(id).callFrame);
    self.set(leaf, (self.get(leaf) ?? 0) + delta);
    const onStack = new Set();
    for (let at = id; at !== undefined; at = parent.get(at))
      onStack.add(keyOf(byId.get(at).callFrame));
    for (const key of onStack) inclusive.set(key, (inclusive.get(key) ?? 0) + delta);
  });
  const print = (title, times) => {
    console.log(`\n${title}`);
    const rows = [...times.entries()].sort((a, b) => b[1] - a[1]).slice(0, TOP_FUNCTIONS);
    for (const [key, micros] of rows) {
      console.log(`${((micros / total) * 100).toFixed(1).padStart(5)} %  ${key}`);
    }
  };
  console.log(`\n${(total / 1000).toFixed(0)} ms sampled`);
  print("Self time by function:", self);
  print("Total time by function (itself and what it calls):", inclusive);
}

/** Sets up the spend scenario; the returned load calls `start` before its measured part. */
async function spendLoad() {
  const created = await createFundedCreation(await jwtFor("bench-user"));
  let index = 0;
  return async (start) => {
    await start();
    return run(
      () =>
        fetch(url(`/v1/creations/${created.id}/wallet/spend`), {
          method: "POST",
          headers: { authorization: `Bearer ${created.token}`, "content-type": "application/json" },
          body: JSON.stringify({ amount: 1, type: "bench", reference_id: `p-${index++}` }),
        }),
      PROFILED_SPENDS,
      PROFILED_CONCURRENCY,
    );
  };
}

/** Track calls on one creation with its token, spread over many end users (seed 002). */
async function trackLoad() {
  const created = await createCreation(await jwtFor("bench-user"));
  let index = 0;
  return async (start) => {
    await start();
    return run(
      () =>
        fetch(url(`/v1/creations/${created.id}/usage/track`), {
          method: "POST",
          headers: { authorization: `Bearer ${created.token}`, "content-type": "application/json" },
          body: JSON.stringify({ user_id: `user-${index++ % 5000}` }),
        }),
      PROFILED_SPENDS,
      PROFILED_CONCURRENCY,
    );
  };
}

async function roomLoad() {
  const creation = await createCreation(await jwtFor("bench-user"));
  const ticketUrl = async (index) =>
    roomUrlWithTicket(creation.id, "profile", await jwtFor(`profile-${index}`));
  const chat = (text) => JSON.stringify({ type: "chat.send", text });
  const scenario = await openSaturation("RoomDO", PROFILED_CLIENTS, ticketUrl, chat, (data) => {
    const frame = JSON.parse(data);
    return frame.type === "chat.message" ? frame.text : null;
  });
  return async (start) => {
    await start();
    for (let round = 0; round < PROFILED_ROUNDS; round++) await scenario.burst();
    scenario.close();
  };
}

try {
  const scenario = process.argv[2] ?? "spend";
  const loads = { room: roomLoad, track: trackLoad, spend: spendLoad };
  const load = await (loads[scenario] ?? spendLoad)();
  const cdp = await connectInspector(server.inspectorPort);
  // Only the measured part: not the set-up (creations, tickets, connections).
  await load(() => cdp.send("Profiler.start"));
  const { profile } = await cdp.send("Profiler.stop");
  await cdp.send("Debugger.enable");
  for (const scriptId of new Set(profile.nodes.map((node) => node.callFrame.scriptId))) {
    const source = await cdp.send("Debugger.getScriptSource", { scriptId });
    if (source?.scriptSource) sources.set(scriptId, source.scriptSource.split("\n"));
  }
  cdp.close();
  summarize(profile);
  // The whole profile, for Chrome DevTools (Performance → Load profile) or a closer look.
  const file = join(tmpdir(), `troupe-${scenario}.cpuprofile`);
  writeFileSync(file, JSON.stringify(profile));
  console.log(`\nFull profile: ${file}`);
} finally {
  await server.stop();
}
