import { expect } from "vitest";
import type { ServerFrame } from "../src/shared/schemas/room.ts";
import { api, eventually } from "./helpers.ts";

export type Frame = ServerFrame & Record<string, unknown>;

export interface TestSocket {
  ws: WebSocket;
  frames: Frame[];
  send(frame: unknown): void;
  /** Frames of one type received so far. */
  of(type: string): Frame[];
  /** The welcome frame (connectRoom waits for it). */
  welcome(): Frame & { history: Frame[]; patches: Frame[] | null; presence: Frame[]; user: Frame };
  /** Waits until `count` frames of `type` have arrived, and returns them. */
  waitFor(type: string, count?: number): Promise<Frame[]>;
  close(): Promise<void>;
  /** Waits until the room closes the socket, and says with which code. */
  closedByRoom(): Promise<{ code: number; reason: string }>;
}

/** Opens a room's WebSocket through the real Worker entry and records every frame. */
export async function connectRoom(
  creationId: string,
  room: string,
  options: {
    token?: string;
    ticket?: string;
    since?: number;
    headers?: Record<string, string>;
  } = {},
): Promise<TestSocket> {
  const query = new URLSearchParams();
  if (options.ticket) query.set("ticket", options.ticket);
  if (options.since !== undefined) query.set("since", String(options.since));
  const response = await api(`/v1/rooms/${creationId}/${room}?${query}`, {
    headers: {
      upgrade: "websocket",
      ...(options.token ? { authorization: `Bearer ${options.token}` } : {}),
      ...options.headers,
    },
  });
  expect(response.status, await peek(response)).toBe(101);
  const ws = response.webSocket as WebSocket;
  ws.accept();
  const frames: Frame[] = [];
  let closeEvent: { code: number; reason: string } | null = null;
  ws.addEventListener("message", (event) => {
    frames.push(JSON.parse(event.data as string));
  });
  ws.addEventListener("close", (event) => {
    closeEvent = { code: event.code, reason: event.reason };
  });
  const of = (type: string) => frames.filter((frame) => frame.type === type);
  const socket: TestSocket = {
    ws,
    frames,
    send: (frame) => ws.send(typeof frame === "string" ? frame : JSON.stringify(frame)),
    of,
    welcome: () => {
      const [welcome] = of("welcome");
      if (!welcome) throw new Error("no welcome frame");
      return welcome as ReturnType<TestSocket["welcome"]>;
    },
    waitFor: async (type, count = 1) => {
      const found = await eventually(
        async () => of(type),
        (list) => list.length >= count,
      );
      expect(
        found.length,
        `frames of ${type}: ${JSON.stringify(frames.slice(-5))}`,
      ).toBeGreaterThanOrEqual(count);
      return found;
    },
    closedByRoom: async () => {
      const event = await eventually(
        async () => closeEvent,
        (value) => value !== null,
      );
      if (!event) throw new Error(`the room did not close the socket: ${frames.length} frames`);
      return event;
    },
    close: async () => {
      ws.close(1000, "done");
      await eventually(
        async () => closeEvent,
        (event) => event !== null,
      );
    },
  };
  await socket.waitFor("welcome");
  return socket;
}

async function peek(response: Response): Promise<string> {
  return response.status === 101 ? "" : await response.clone().text();
}
