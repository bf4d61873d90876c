// Property-based fuzzing of the room protocol over real WebSockets through the Worker entry:
// every client frame type with hostile paths and values, plus non-JSON, binary and oversized
// frames. After every frame:
//   - it got exactly one answer (an `ack`, an `error` with a string `code`, or the echo its type
//     documents), except a valid cursor, which is relayed to the others and answers nothing;
//     a state.patch's answer carries its `id`; no answer is INTERNAL (the room's own fault);
//   - the room kept the socket open;
//   - the room's state and version changed only with an ack, by exactly one version, and the
//     sender's presence only with a presence.updated answer;
//   - no built-in prototype gained, lost or changed a key;
//   - GET /health and GET /v1/me still answer 200.

import * as fc from "fast-check";
import * as v from "valibot";
import { afterAll, beforeAll, describe, it } from "vitest";
import { canonicalJson } from "../../src/shared/json.ts";
import { ROOM_FRAME_MAX_BYTES } from "../../src/shared/limits.ts";
import { ClientFrameSchema, PatchIdSchema } from "../../src/shared/schemas/room.ts";
import { api, bearer, createCreation } from "../helpers.ts";
import {
  FORGED_USER_ID,
  FRAME_FAMILIES,
  type FrameCase,
  type FrameFamily,
  frameCaseArb,
  type Rendered,
  render,
} from "./frame-cases.ts";
import { healthBroken, PrototypeGuard, preview } from "./invariants.ts";
import { type Frame, type RoomConnection, RoomSessions } from "./room-session.ts";
import { SETUP_TIMEOUT_MS, suiteBudget } from "./settings.ts";

/** The creation's owner: privileged in its rooms (and the id frames try to forge). */
const OWNER = FORGED_USER_ID;
const PARTICIPANT = "frames-participant";

// ── the oracle ────────────────────────────────────────────────────────────────────────────

/** Frames that answer a frame; other frames (state.patched, cursor, timer.fired…) are
 * broadcasts the stream may also carry. */
const ANSWER_FOR: Record<string, string> = {
  "chat.send": "chat.message",
  "state.patch": "ack",
  "presence.set": "presence.updated",
  "timer.start": "timer.started",
  "timer.cancel": "timer.cancelled",
};
const ANSWER_TYPES = new Set(["error", ...Object.values(ANSWER_FOR)]);

const byteLength = (payload: string | Uint8Array) =>
  typeof payload === "string" ? new TextEncoder().encode(payload).length : payload.byteLength;

/** What the protocol promises for this frame's answers. */
function answersBroken(rendered: Rendered, received: Frame[]): string[] {
  const broken: string[] = [];
  const answers = received.filter((frame) => ANSWER_TYPES.has(String(frame.type)));
  const parsed = rendered.parsed as { type?: unknown; id?: unknown } | undefined;
  const type = typeof parsed?.type === "string" ? parsed.type : undefined;
  const fits = byteLength(rendered.payload) <= ROOM_FRAME_MAX_BYTES;
  // Only a cursor the room accepts answers nothing (it is relayed to the others).
  const silentCursor = fits && type === "cursor" && v.safeParse(ClientFrameSchema, parsed).success;
  const expected = silentCursor ? 0 : 1;
  if (answers.length !== expected) {
    broken.push(
      `${answers.length} answers where ${expected} was due: ${preview(answers.map((frame) => frame.type))}`,
    );
  }
  for (const answer of answers) {
    if (answer.type === "error") {
      if (typeof answer.code !== "string")
        broken.push(`error frame without a code: ${preview(answer)}`);
      if (answer.code === "INTERNAL")
        broken.push(`the room failed on the frame: ${preview(answer)}`);
    } else if (!type || ANSWER_FOR[type] !== answer.type) {
      broken.push(`a ${type ?? "non-frame"} was answered with ${answer.type}`);
    }
  }
  const id = parsed?.id;
  if (type === "state.patch" && v.is(PatchIdSchema, id) && fits) {
    for (const answer of answers) {
      if (answer.id !== id)
        broken.push(`answer ${answer.type} carries id ${preview(answer.id)}, not ${id}`);
    }
  }
  return broken;
}

interface RoomView {
  version: number;
  state: unknown;
  presence: { user_id: string; data: unknown }[];
}

let creationId = "";
let sessions: RoomSessions;

async function roomView(room: string): Promise<RoomView> {
  const response = await api(`/v1/rooms/${creationId}/${room}`, {
    headers: await bearer({ sub: OWNER }),
  });
  if (response.status !== 200)
    throw new Error(`room view: ${response.status} ${await response.text()}`);
  return (await response.json()) as RoomView;
}

/** State changes only with an ack, one version per ack; presence only with its answer. A
 * repeated patch id is answered with its first ack and applies nothing (README, Rooms: "the
 * room remembers each user's last … accepted patch ids … and answers a repeat with the
 * original ack"). */
function stateBroken(
  before: RoomView,
  after: RoomView,
  received: Frame[],
  connection: RoomConnection,
): string[] {
  const broken: string[] = [];
  const ack = received.find((frame) => frame.type === "ack");
  const patched = received.filter((frame) => frame.type === "state.patched");
  const firstVersion = ack ? connection.acceptedPatches.get(String(ack.id)) : undefined;
  if (!ack || firstVersion !== undefined) {
    if (after.version !== before.version) {
      broken.push(`version ${before.version} → ${after.version} without a new ack`);
    }
    if (canonicalJson(after.state) !== canonicalJson(before.state)) {
      broken.push(
        `state changed without a new ack: ${preview(before.state, 200)} → ${preview(after.state, 200)}`,
      );
    }
    if (patched.length > 0) broken.push("state.patched broadcast without a new ack");
    if (ack && ack.version !== firstVersion) {
      broken.push(`a repeated patch id was acked as ${ack.version}, first as ${firstVersion}`);
    }
  } else {
    if (after.version !== before.version + 1 || ack.version !== after.version) {
      broken.push(
        `an ack moved the version ${before.version} → ${after.version} (ack says ${ack.version})`,
      );
    }
    if (patched.length !== 1) broken.push(`${patched.length} state.patched broadcasts for one ack`);
    connection.acceptedPatches.set(String(ack.id), Number(ack.version));
  }
  const presenceOf = (view: RoomView) =>
    canonicalJson(view.presence.find((entry) => entry.user_id === connection.userId)?.data ?? null);
  if (
    !received.some((frame) => frame.type === "presence.updated") &&
    presenceOf(before) !== presenceOf(after)
  ) {
    broken.push(
      `presence changed without presence.updated: ${presenceOf(before)} → ${presenceOf(after)}`,
    );
  }
  return broken;
}

/** Other routes keep working: GET /v1/me with a valid token. */
async function meBroken(): Promise<string[]> {
  const response = await api("/v1/me", { headers: await bearer({ sub: PARTICIPANT }) });
  return response.status === 200
    ? []
    : [`GET /v1/me answered ${response.status}: ${await response.text()}`];
}

const guard = new PrototypeGuard();

async function runCase({ who, frame }: FrameCase): Promise<void> {
  const connection = await sessions.connection(who);
  const before = await roomView(connection.room);
  const rendered = render(frame, connection.userId);
  const exchange = await connection.exchange(rendered.payload);
  // First, before any request: a polluted prototype breaks the server's own parsing (valibot
  // walks schema entries with for…in), so it must be reported and undone right away.
  const broken = guard.check();
  if (exchange.lost) broken.push(`no answer: ${exchange.lost}`);
  if (exchange.received.some((answer) => answer.code === "RATE_LIMITED")) {
    // Pacing keeps every connection under the limit; a rate-limited frame proves nothing.
    fc.pre(false);
  }
  broken.push(...answersBroken(rendered, exchange.received));
  broken.push(
    ...stateBroken(before, await roomView(connection.room), exchange.received, connection),
  );
  broken.push(...(await healthBroken()), ...(await meBroken()));
  if (broken.length > 0) {
    throw new Error(
      [
        `${who} in ${connection.room} sent ${typeof rendered.payload === "string" ? preview(rendered.payload, 300) : `${rendered.payload.byteLength} binary bytes`}`,
        `received ${preview(exchange.received, 500)}`,
        ...broken.map((line) => `  ✗ ${line}`),
      ].join("\n"),
    );
  }
}

// ── tests ─────────────────────────────────────────────────────────────────────────────────

const families = Object.keys(FRAME_FAMILIES) as FrameFamily[];
const budget = suiteBudget("frames", families.length);

beforeAll(async () => {
  const creation = await createCreation(OWNER);
  creationId = creation.id;
  sessions = new RoomSessions(creation.id, creation.token, {
    participant: PARTICIPANT,
    owner: OWNER,
  });
}, SETUP_TIMEOUT_MS);

afterAll(() => sessions?.closeAll());

describe("room frames", () => {
  for (const family of families) {
    it(
      `${family}: one answer per frame, state only by ack, prototypes untouched`,
      async () => {
        await fc.assert(fc.asyncProperty(frameCaseArb(family), runCase), budget.parameters());
      },
      budget.timeout(),
    );
  }
});
