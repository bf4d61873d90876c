// Room connections for the frame fuzzer. A frame's answers are the frames that arrive between
// sending it and the answer to a "fence" sent right after it: the room handles one
// connection's frames in order, so everything the fuzzed frame caused arrives before the
// fence's chat message comes back. The fence is a valid chat message, so it changes no state
// and never counts as a refused frame.
//
// Each connection is retired after CASES_PER_CONNECTION cases, in a fresh room each time: that
// keeps every connection under the per-connection rate limit (ROOM_MESSAGES_PER_SECOND) and
// under the refused-frame limit that closes a socket (ROOM_VIOLATIONS_MAX), so neither masks a
// result, and leaves no other connection in the room to add frames to the stream.

import { ROOM_MESSAGES_PER_SECOND, ROOM_VIOLATIONS_MAX } from "../../src/shared/limits.ts";
import { api, asCreation, bearer } from "../helpers.ts";

/** Cases (each a fuzzed frame plus a fence) one connection carries before it is replaced. */
export const CASES_PER_CONNECTION = Math.min(
  Math.floor(ROOM_MESSAGES_PER_SECOND / 2) - 3,
  ROOM_VIOLATIONS_MAX - 8,
);
/** How long a frame may take to be answered before the case fails. */
const ANSWER_TIMEOUT_MS = 5_000;

export type Frame = Record<string, unknown> & { type?: unknown };

/** A WebSocket that records every frame it receives and lets callers wait on them. */
export class FuzzSocket {
  readonly frames: Frame[] = [];
  closed: { code: number; reason: string } | undefined;
  private readonly wake = new Set<() => void>();

  constructor(private readonly ws: WebSocket) {
    ws.accept();
    ws.addEventListener("message", (event) => {
      const data = event.data;
      let frame: Frame;
      try {
        frame = typeof data === "string" ? JSON.parse(data) : { type: "<binary>" };
      } catch {
        frame = { type: "<not json>", raw: String(data).slice(0, 200) };
      }
      this.frames.push(frame);
      this.notify();
    });
    ws.addEventListener("close", (event) => {
      this.closed = { code: event.code, reason: event.reason };
      this.notify();
    });
  }

  send(payload: string | Uint8Array): void {
    this.ws.send(payload);
  }

  /** Resolves true once `done()` holds, false when the socket closes or time runs out. */
  waitUntil(done: () => boolean, timeoutMs = ANSWER_TIMEOUT_MS): Promise<boolean> {
    return new Promise((resolve) => {
      const check = () => {
        if (done()) finish(true);
        else if (this.closed) finish(false);
      };
      const timer = setTimeout(() => finish(false), timeoutMs);
      const finish = (result: boolean) => {
        clearTimeout(timer);
        this.wake.delete(check);
        resolve(result);
      };
      this.wake.add(check);
      check();
    });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.ws.close(1000, "retired");
    await this.waitUntil(() => this.closed !== undefined, 1_000);
  }

  private notify() {
    for (const check of [...this.wake]) check();
  }
}

/** Who is connected: a participant by ticket, the owner, or the creation's backend. */
export type Who = "participant" | "owner" | "creation";

export interface Exchange {
  /** Frames the fuzzed frame caused (everything before the fence's echo). */
  received: Frame[];
  /** Set when the socket closed (or the fence never came back) before the answer. */
  lost?: string;
}

export class RoomConnection {
  cases = 0;
  /** Patch ids the room accepted on this connection (its room is its own), with their version. */
  readonly acceptedPatches = new Map<string, number>();
  private fences = 0;

  constructor(
    readonly who: Who,
    readonly room: string,
    readonly userId: string,
    readonly socket: FuzzSocket,
  ) {}

  /** Sends one frame and its fence, and returns what the frame caused. */
  async exchange(payload: string | Uint8Array): Promise<Exchange> {
    const start = this.socket.frames.length;
    const fence = `fence:${this.room}:${++this.fences}`;
    this.socket.send(payload);
    this.socket.send(JSON.stringify({ type: "chat.send", text: fence }));
    this.cases++;
    const fenceAt = () =>
      this.socket.frames.findIndex(
        (frame, index) => index >= start && frame.type === "chat.message" && frame.text === fence,
      );
    const answered = await this.socket.waitUntil(() => fenceAt() >= 0);
    if (!answered) {
      const why = this.socket.closed
        ? `the room closed the socket (${this.socket.closed.code} ${this.socket.closed.reason})`
        : `no answer within ${ANSWER_TIMEOUT_MS} ms`;
      return { received: this.socket.frames.slice(start), lost: why };
    }
    return { received: this.socket.frames.slice(start, fenceAt()) };
  }
}

/** Opens connections to fresh rooms of one creation, one live connection per kind. */
export class RoomSessions {
  private readonly live = new Map<Who, RoomConnection>();
  private opened = 0;

  constructor(
    readonly creationId: string,
    readonly creationToken: string,
    readonly users: { participant: string; owner: string },
  ) {}

  /** The live connection of this kind, replaced once it carried its share of cases or closed. */
  async connection(who: Who): Promise<RoomConnection> {
    const current = this.live.get(who);
    if (current && current.cases < CASES_PER_CONNECTION && !current.socket.closed) return current;
    await current?.socket.close();
    const next = await this.open(who, `fz-${who}-${++this.opened}`);
    this.live.set(who, next);
    return next;
  }

  async closeAll(): Promise<void> {
    await Promise.all([...this.live.values()].map((connection) => connection.socket.close()));
    this.live.clear();
  }

  private async open(who: Who, room: string): Promise<RoomConnection> {
    const base = `/v1/rooms/${this.creationId}/${room}`;
    let target = base;
    let credentials: Record<string, string> = {};
    if (who === "participant") {
      const issued = await api(`${base}/tickets`, {
        method: "POST",
        headers: await bearer({ sub: this.users.participant }),
      });
      if (issued.status !== 201) throw new Error(`ticket: ${issued.status} ${await issued.text()}`);
      target = `${base}?ticket=${((await issued.json()) as { ticket: string }).ticket}`;
    } else {
      credentials =
        who === "owner" ? await bearer({ sub: this.users.owner }) : asCreation(this.creationToken);
    }
    const response = await api(target, { headers: { upgrade: "websocket", ...credentials } });
    if (response.status !== 101 || !response.webSocket) {
      throw new Error(`upgrade to ${room}: ${response.status} ${await response.text()}`);
    }
    const socket = new FuzzSocket(response.webSocket);
    if (!(await socket.waitUntil(() => socket.frames.some((frame) => frame.type === "welcome")))) {
      throw new Error(`no welcome in ${room}`);
    }
    const welcome = socket.frames.find((frame) => frame.type === "welcome") as {
      user: { user_id: string };
    };
    return new RoomConnection(who, room, welcome.user.user_id, socket);
  }
}
