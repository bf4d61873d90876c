// `npm run bench:profile -- spend` (or `room`): a CPU profile of the bench Worker while one hot
// scenario runs, printed as the functions with the most self time. It reads the V8 inspector
// that `wrangler dev` exposes, so it sees the router and every actor (they share one isolate
// here). Use it to find where a request's time goes before changing code; `npm run bench`
// then says whether the change paid.
import { SignJWT } from "jose";
import { startDevServer } from "../scripts/dev-server.mjs";
import { readDevVars } from "../scripts/dev-vars.mjs";
import { signRequest } from "../src/shared/service-signature.ts";
import { writeBenchConfig } from "./config.mjs";
import { run } from "./measure.mjs";
import { saturate } from "./rooms.mjs";

const SAMPLING_INTERVAL_US = 100;
const TOP_FUNCTIONS = 40;

const vars = readDevVars();
const server = await startDevServer({ config: writeBenchConfig() });
const url = (path) => `${server.baseUrl}${path}`;
const jwtFor = (sub) =>
  new SignJWT({})
    .setProtectedHeader({ alg: "HS256" })
    .setSubject(sub)
    .setExpirationTime("1h")
    .sign(new TextEncoder().encode(vars.AUTH_JWT_SECRET));

/** A minimal Chrome DevTools Protocol client over the inspector's WebSocket. */
async function inspector() {
  const targets = await (await fetch(`http://127.0.0.1:${server.inspectorPort}/json`)).json();
  const socket = new WebSocket(targets[0].webSocketDebuggerUrl);
  await new Promise((resolve) => socket.addEventListener("open", resolve, { once: true }));
  let nextId = 1;
  const pending = new Map();
  socket.addEventListener("message", (event) => {
    const message = JSON.parse(String(event.data));
    if (message.id && pending.has(message.id)) {
      pending.get(message.id)(message.result);
      pending.delete(message.id);
    }
  });
  return {
    send(method, params = {}) {
      const id = nextId++;
      socket.send(JSON.stringify({ id, method, params }));
      return new Promise((resolve) => pending.set(id, resolve));
    },
    close: () => socket.close(),
  };
}

/** Self time per function (name and location), largest first. */
function summarize(profile) {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const self = new Map();
  let total = 0;
  profile.samples.forEach((id, index) => {
    const delta = profile.timeDeltas[index] ?? 0;
    const { functionName, url: file, lineNumber } = byId.get(id).callFrame;
    const where = file ? `${file.split("/").slice(-2).join("/")}:${lineNumber + 1}` : "";
    const key = `${functionName || "(anonymous)"} ${where}`.trim();
    self.set(key, (self.get(key) ?? 0) + delta);
    total += delta;
  });
  const rows = [...self.entries()].sort((a, b) => b[1] - a[1]).slice(0, TOP_FUNCTIONS);
  console.log(`\n${(total / 1000).toFixed(0)} ms sampled; self time by function:`);
  for (const [key, micros] of rows) {
    console.log(`${((micros / total) * 100).toFixed(1).padStart(5)} %  ${key}`);
  }
}

async function spendLoad() {
  const owner = { authorization: `Bearer ${await jwtFor("bench-user")}` };
  const created = await (
    await fetch(url("/v1/creations"), { method: "POST", headers: owner })
  ).json();
  const path = `/v1/creations/${created.id}/wallet/deposit`;
  const body = JSON.stringify({ amount: 1_000_000_000 });
  const signed = await signRequest(vars.SERVICE_SECRETS.split(",")[0], {
    method: "POST",
    pathAndQuery: path,
    body,
  });
  await fetch(url(path), {
    method: "POST",
    headers: {
      "content-type": "application/json",
      "troupe-timestamp": signed.timestamp,
      "troupe-signature": signed.signature,
    },
    body,
  });
  let index = 0;
  return () =>
    run(
      () =>
        fetch(url(`/v1/creations/${created.id}/wallet/spend`), {
          method: "POST",
          headers: { authorization: `Bearer ${created.token}`, "content-type": "application/json" },
          body: JSON.stringify({ amount: 1, type: "bench", reference_id: `p-${index++}` }),
        }),
      3000,
      50,
    );
}

async function roomLoad() {
  const creation = await (
    await fetch(url("/v1/creations"), {
      method: "POST",
      headers: { authorization: `Bearer ${await jwtFor("bench-user")}` },
    })
  ).json();
  const ticketUrl = async (index) => {
    const response = await fetch(url(`/v1/rooms/${creation.id}/profile/tickets`), {
      method: "POST",
      headers: { authorization: `Bearer ${await jwtFor(`profile-${index}`)}` },
    });
    const { ticket } = await response.json();
    return url(`/v1/rooms/${creation.id}/profile?ticket=${ticket}`).replace(/^http/, "ws");
  };
  const chat = (text) => JSON.stringify({ type: "chat.send", text });
  return () =>
    saturate("RoomDO", 100, ticketUrl, chat, (data) => {
      const frame = JSON.parse(data);
      return frame.type === "chat.message" ? frame.text : null;
    });
}

try {
  const scenario = process.argv[2] ?? "spend";
  const load = scenario === "room" ? await roomLoad() : await spendLoad();
  const cdp = await inspector();
  await cdp.send("Profiler.enable");
  await cdp.send("Profiler.setSamplingInterval", { interval: SAMPLING_INTERVAL_US });
  await cdp.send("Profiler.start");
  await load();
  const { profile } = await cdp.send("Profiler.stop");
  cdp.close();
  summarize(profile);
} finally {
  await server.stop();
}
