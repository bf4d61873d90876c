// `npm run bench`: starts wrangler dev on the bench Worker and prints one table per area,
// each with ratios against a raw baseline measured in the same run.
import { startDevServer } from "../scripts/dev-server.mjs";
import { readDevVars } from "../scripts/dev-vars.mjs";
import { signRequest } from "../src/shared/service-signature.ts";
import { startModelServer } from "../test/support/model-server.ts";
import { AI_CONCURRENT_STREAMS, aiScenarios, measureAi } from "./ai.mjs";
import { writeBenchConfig } from "./config.mjs";
import { benchFixtures } from "./fixtures.mjs";
import { measureInTurns, printTable } from "./measure.mjs";
import { metering } from "./metering.mjs";
import {
  FANOUT_RECEIVERS,
  fanout,
  openSaturation,
  printSaturation,
  SATURATION_CLIENTS,
  SATURATION_ROUNDS,
  saturateInTurns,
} from "./rooms.mjs";

const vars = readDevVars();
// The AI section streams from a real local OpenAI-compatible server (the tests' own).
const modelServer = await startModelServer();
const server = await startDevServer({
  config: writeBenchConfig(),
  vars: {
    AI_PROVIDER: "openai-compatible",
    AI_BASE_URL: `${modelServer.url}/v1`,
    AI_MODEL: "bench-model",
    AI_MAX_OUTPUT_TOKENS: "1000",
    ALLOW_LOCALHOST_WEBHOOKS: "true",
  },
});
const {
  url,
  wsUrl,
  serviceSecret,
  jwtFor,
  createCreation,
  createFundedCreation,
  createSecretKey,
  roomUrlWithTicket,
} = benchFixtures(server.baseUrl, vars);

async function routerAndAuth(jwt) {
  const rows = await measureInTurns([
    scenario("raw Worker (baseline)", () => fetch(url("/__bench/raw"))),
    scenario("GET /health (router)", () => fetch(url("/health"))),
    scenario("GET /v1/me (JWT)", () =>
      fetch(url("/v1/me"), { headers: { authorization: `Bearer ${jwt}` } }),
    ),
    scenario("GET /v1/me (service signature)", async () => {
      const signed = await signRequest(serviceSecret, {
        method: "GET",
        pathAndQuery: "/v1/me",
        body: "",
      });
      return fetch(url("/v1/me"), {
        headers: { "troupe-timestamp": signed.timestamp, "troupe-signature": signed.signature },
      });
    }),
  ]);
  printTable("Router and auth", rows, "raw Worker (baseline)");
}

async function actors(jwt) {
  const auth = { authorization: `Bearer ${jwt}`, "content-type": "application/json" };
  const created = await createCreation(jwt);
  const secretKey = await createSecretKey(created.id, jwt);
  const rows = await measureInTurns([
    scenario("bare actor read (baseline)", () => fetch(url("/__bench/bare-actor/read"))),
    scenario("bare actor write", () => fetch(url("/__bench/bare-actor/write"))),
    scenario("GET /v1/creations/:id (JWT)", () =>
      fetch(url(`/v1/creations/${created.id}`), { headers: auth }),
    ),
    scenario("GET /v1/me (rct_ token check)", () =>
      fetch(url("/v1/me"), { headers: { authorization: `Bearer ${created.token}` } }),
    ),
    scenario("GET /v1/me (sk_ key check)", () =>
      fetch(url("/v1/me"), { headers: { authorization: `Bearer ${secretKey}` } }),
    ),
    scenario("PATCH /v1/creations/:id (write + projection job)", () =>
      fetch(url(`/v1/creations/${created.id}`), {
        method: "PATCH",
        headers: auth,
        body: JSON.stringify({ name: `bench ${Math.random()}` }),
      }),
    ),
  ]);
  printTable("Actors (one creation, concurrent callers)", rows, "bare actor read (baseline)");
}

const MINIMAL_LEDGER = "minimal ledger DO (baseline)";

/** A named scenario for measureInTurns. */
const scenario = (name, send) => [name, send];

/** Spends of 1 on hot wallets: the router's full path against the wallet's bare RPC. */
async function hotWallet(jwt) {
  const createFunded = () => createFundedCreation(jwt);
  const rpc = (creation) => () => fetch(url(`/__bench/wallet-rpc?account=creation:${creation.id}`));
  const routed =
    (creation, extra = () => ({}), credential = creation.token) =>
    (index) =>
      fetch(url(`/v1/creations/${creation.id}/wallet/spend`), {
        method: "POST",
        headers: { authorization: `Bearer ${credential}`, "content-type": "application/json" },
        body: JSON.stringify({ amount: 1, type: "bench", ...extra(index) }),
      });
  const hot = await createFunded();
  const hotKey = await createSecretKey(hot.id, jwt);
  const run = Date.now();
  const keyed = (index) => ({ reference_id: `bench-${run}-${index}` });
  // Its own references: a reference the rct_ rows used would be a replay, not a spend.
  const keyedForKey = (index) => ({ reference_id: `bench-${run}-sk-${index}` });
  const minimal = (index) =>
    fetch(url("/__bench/min-ledger/spend"), {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ amount: 1, type: "bench", ...keyed(index) }),
    });
  for (const [concurrency, requests] of [
    [1, 500],
    [50, 2000],
  ]) {
    const options = { concurrency, requests };
    const rows = await measureInTurns(
      [
        scenario(MINIMAL_LEDGER, minimal),
        scenario("bare RPC spend (wallet actor, no router)", rpc(hot)),
        scenario("POST …/wallet/spend (rct_ token)", routed(hot)),
        scenario("POST …/wallet/spend (rct_ + reference_id)", routed(hot, keyed)),
        scenario("POST …/wallet/spend (sk_ key)", routed(hot, undefined, hotKey)),
        scenario("POST …/wallet/spend (sk_ + reference_id)", routed(hot, keyedForKey, hotKey)),
      ],
      options,
    );
    printTable("Hot wallet: spends on one wallet", rows, MINIMAL_LEDGER);
  }
  const many = [];
  for (let i = 0; i < 100; i++) many.push(await createFunded());
  const spread = await measureInTurns(
    [
      scenario("bare RPC spend, 100 wallets (baseline)", (i) => rpc(many[i % 100])()),
      scenario("POST …/wallet/spend, 100 wallets (rct_)", (i) => routed(many[i % 100])(i)),
    ],
    { concurrency: 50 },
  );
  printTable("Spends spread over 100 wallets", spread, "bare RPC spend, 100 wallets (baseline)");
}

/** Fan-out to N receivers: RoomDO through the router against the bare relaying DO. */
async function roomFanout(jwt) {
  const creation = await createCreation(jwt);
  for (const receivers of FANOUT_RECEIVERS) {
    const room = `fanout-${receivers}`;
    const ticketUrl = () => roomUrlWithTicket(creation.id, room, jwt);
    const rows = [
      await fanout(
        "raw hibernatable DO (baseline)",
        receivers,
        async () => wsUrl(`/__bench/raw-room/${room}`),
        (seq) => JSON.stringify({ type: "chat.send", text: `${seq}:${performance.now()}` }),
        (data) => sentAtOf(JSON.parse(data).text),
      ),
      await fanout(
        "RoomDO chat through the router",
        receivers,
        ticketUrl,
        (seq) => JSON.stringify({ type: "chat.send", text: `${seq}:${performance.now()}` }),
        (data) => {
          const frame = JSON.parse(data);
          return frame.type === "chat.message" ? sentAtOf(frame.text) : null;
        },
      ),
    ];
    printTable(
      `Room fan-out: 1 sender, ${receivers} receivers (deliveries/s)`,
      rows,
      "raw hibernatable DO (baseline)",
    );
  }
}

/** Everyone in a room sends at once: RoomDO through the router against the raw relay. */
async function roomSaturation(jwt) {
  const creation = await createCreation(jwt);
  const chat = (text) => JSON.stringify({ type: "chat.send", text });
  for (const clients of SATURATION_CLIENTS) {
    const room = `saturation-${clients}`;
    // One user per client, as in a real room: presence and the rate limit are per user.
    const ticketUrl = async (index) =>
      roomUrlWithTicket(creation.id, room, await jwtFor(`bench-${clients}-${index}`));
    const textOf = (data) => {
      const frame = JSON.parse(data);
      return frame.type === "chat.message" ? frame.text : null;
    };
    const raw = await openSaturation(
      RAW_RELAY,
      clients,
      async () => wsUrl(`/__bench/raw-room/${room}`),
      chat,
      (data) => JSON.parse(data).text,
    );
    const routed = await openSaturation(
      "RoomDO chat through the router",
      clients,
      ticketUrl,
      chat,
      textOf,
    );
    const rows = await saturateInTurns([raw, routed], SATURATION_ROUNDS[clients]);
    printSaturation(
      `Room saturation: ${clients} clients each send 2 chat messages at once (${clients * clients * 2} deliveries a round)`,
      rows,
      RAW_RELAY,
    );
  }
}

/** Replies through SessionDO against the model server read directly. */
async function aiStreaming() {
  const scenarios = aiScenarios({ modelUrl: modelServer.url, url, jwtFor, createFundedCreation });
  await measureAi(scenarios, 1);
  await measureAi(scenarios, AI_CONCURRENT_STREAMS);
}

const RAW_RELAY = "raw hibernatable DO (baseline)";
const sentAtOf = (text) => Number(String(text).split(":")[1]);

try {
  const jwt = await jwtFor("bench-user");
  // `npm run bench -- rooms wallets` runs only those sections; no argument runs them all.
  const sections = {
    router: routerAndAuth,
    actors,
    wallets: hotWallet,
    rooms: roomFanout,
    saturation: roomSaturation,
    ai: aiStreaming,
    metering: (jwt) => metering({ url, jwt, createCreation, createSecretKey }),
  };
  const chosen = process.argv.slice(2);
  for (const [name, section] of Object.entries(sections)) {
    if (chosen.length === 0 || chosen.includes(name)) await section(jwt);
  }
} finally {
  await server.stop();
  await modelServer.close();
}
