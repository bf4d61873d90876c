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
