// Room fan-out: one sender, N receivers. RoomDO (chat.send → chat.message to everyone) against
// RawRoom (a bare hibernatable Durable Object relaying each frame), in the same run. The sender
// stays under ROOM_MESSAGES_PER_SECOND, the product's per-connection limit, for both.
import { ROOM_MESSAGES_PER_SECOND } from "../src/shared/limits.ts";

export const FANOUT_RECEIVERS = [10, 100, 300];
const MESSAGES = 60;
const SEND_INTERVAL_MS = Math.ceil(1000 / (ROOM_MESSAGES_PER_SECOND - 5));
const DRAIN_TIMEOUT_MS = 30_000;

function open(url) {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url);
    socket.addEventListener("open", () => resolve(socket), { once: true });
    socket.addEventListener("error", () => reject(new Error(`cannot open ${url}`)), { once: true });
  });
}

/**
 * Connects `receivers + 1` sockets from `urlFor(i)`, sends MESSAGES frames from the first at a
 * steady pace, and measures delivery to the others.
 * @param {(index: number) => Promise<string>} urlFor
 * @param {(seq: number) => string} frameFor what the sender sends for message `seq`
 * @param {(data: string) => number | null} sentAt reads the send time out of a received frame
 */
export async function fanout(name, receivers, urlFor, frameFor, sentAt) {
  const sockets = [];
  for (let i = 0; i <= receivers; i++) sockets.push(await open(await urlFor(i)));
  const [sender, ...others] = sockets;
  const latencies = [];
  let delivered = 0;
  const done = new Promise((resolve) => {
    for (const socket of others) {
      socket.addEventListener("message", (event) => {
        const at = sentAt(String(event.data));
        if (at === null) return;
        latencies.push(performance.now() - at);
        if (++delivered === receivers * MESSAGES) resolve();
      });
    }
  });
  await new Promise((resolve) => setTimeout(resolve, 300)); // let welcomes and joins settle
  const begin = performance.now();
  for (let seq = 0; seq < MESSAGES; seq++) {
    sender.send(frameFor(seq));
    await new Promise((resolve) => setTimeout(resolve, SEND_INTERVAL_MS));
  }
  await Promise.race([done, new Promise((resolve) => setTimeout(resolve, DRAIN_TIMEOUT_MS))]);
  const elapsedMs = performance.now() - begin;
  for (const socket of sockets) socket.close();
  const sorted = latencies.sort((a, b) => a - b);
  const at = (p) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
  return {
    name,
    concurrency: receivers,
    requests: delivered,
    failures: receivers * MESSAGES - delivered,
    rps: (delivered / elapsedMs) * 1000,
    p50: at(50),
    p99: at(99),
  };
}

export const SATURATION_CLIENTS = [100, 300];
/** Rounds per scenario; the two scenarios take turns, so drift on a busy machine hits both. */
export const SATURATION_ROUNDS = { 100: 6, 300: 3 };
const BURST = 2;
const SETTLE_QUIET_MS = 500;
const ROUND_TIMEOUT_MS = 120_000;

/** Resolves once no socket has received anything for `quietMs` (joins and welcomes settled). */
async function quiet(sockets, quietMs) {
  let last = performance.now();
  const touch = () => {
    last = performance.now();
  };
  for (const socket of sockets) socket.addEventListener("message", touch);
  while (performance.now() - last < quietMs) {
    await new Promise((resolve) => setTimeout(resolve, quietMs / 5));
  }
  for (const socket of sockets) socket.removeEventListener("message", touch);
}

/**
 * Everyone talks at once: `clients` sockets in one room; each burst() has every socket send
 * BURST chat frames in the same tick, and every socket should receive all clients × BURST of
 * them. Counts what arrived once, twice or never, and how many different orders the sockets saw
 * them in (one room, one order).
 * @param {(index: number) => Promise<string>} urlFor
 * @param {(text: string) => string} frameFor the frame that sends chat `text`
 * @param {(data: string) => string | null} textOf the chat text in a received frame, or null
 */
export async function openSaturation(name, clients, urlFor, frameFor, textOf) {
  const sockets = [];
  for (let i = 0; i < clients; i++) sockets.push(await open(await urlFor(i)));
  await quiet(sockets, SETTLE_QUIET_MS);
  const expected = clients * clients * BURST;
  const totals = { name, clients, delivered: 0, lost: 0, duplicates: 0, elapsedMs: 0 };
  const allLatencies = [];
  const orderCounts = [];
  let round = 0;
  let onMessage = () => {};
  sockets.forEach((socket, index) => {
    socket.addEventListener("message", (event) => onMessage(index, String(event.data)));
  });

  async function burst() {
    round++;
    const seen = sockets.map(() => new Set());
    const orders = sockets.map(() => []);
    let delivered = 0;
    let lastAt = 0;
    let resolveDone;
    const done = new Promise((resolve) => {
      resolveDone = resolve;
    });
    onMessage = (index, data) => {
      const text = textOf(data);
      if (text === null) return;
      const [key, sentAt] = text.split(":");
      if (!key.startsWith(`${round}.`)) return;
      if (seen[index].has(key)) {
        totals.duplicates++;
        return;
      }
      seen[index].add(key);
      orders[index].push(key);
      lastAt = performance.now();
      allLatencies.push(lastAt - Number(sentAt));
      if (++delivered === expected) resolveDone();
    };
    const begin = performance.now();
    for (let seq = 0; seq < BURST; seq++) {
      sockets.forEach((socket, index) => {
        socket.send(frameFor(`${round}.${index}.${seq}:${performance.now()}`));
      });
    }
    await Promise.race([done, new Promise((resolve) => setTimeout(resolve, ROUND_TIMEOUT_MS))]);
    totals.delivered += delivered;
    totals.lost += expected - delivered;
    totals.elapsedMs += lastAt - begin;
    orderCounts.push(new Set(orders.map((order) => order.join(","))).size);
    // Let the room go quiet (and its per-second rate budget refill) before the next round.
    await quiet(sockets, SETTLE_QUIET_MS);
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }

  function result() {
    const sorted = allLatencies.sort((a, b) => a - b);
    const at = (p) =>
      sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
    return {
      ...totals,
      rounds: round,
      orders: Math.max(...orderCounts),
      rps: (totals.delivered / totals.elapsedMs) * 1000,
      p50: at(50),
      p99: at(99),
    };
  }

  const close = () => {
    for (const socket of sockets) socket.close();
  };
  return { burst, result, close };
}

/** Runs `rounds` bursts of each scenario, taking turns, and returns their results. */
export async function saturateInTurns(scenarios, rounds) {
  for (let round = 0; round < rounds; round++) {
    for (const scenario of scenarios) await scenario.burst();
  }
  for (const scenario of scenarios) scenario.close();
  return scenarios.map((scenario) => scenario.result());
}

/** Prints saturation rows with their deliveries/s as a ratio to the row named `baseline`. */
export function printSaturation(title, rows, baseline) {
  const base = rows.find((row) => row.name === baseline);
  console.log(`\n${title}`);
  console.log(
    "| scenario | rounds | deliveries | deliveries/s | p50 ms | p99 ms | lost | duplicates | most orders seen in a round | deliveries/s ÷ baseline |",
  );
  console.log("|---|---|---|---|---|---|---|---|---|---|");
  for (const row of rows) {
    console.log(
      `| ${row.name} | ${row.rounds} | ${row.delivered} | ${row.rps.toFixed(0)} | ${row.p50.toFixed(2)} | ${row.p99.toFixed(2)} | ${row.lost} | ${row.duplicates} | ${row.orders} | ${(row.rps / base.rps).toFixed(2)} |`,
    );
  }
}
