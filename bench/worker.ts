// The bench Worker: the real entry plus raw baselines measured in the same process, so the
// tables compare troupe against the bare platform, not against another machine's numbers.

import { DurableObject } from "cloudflare:workers";
import worker from "../src/index.ts";

export * from "../src/index.ts";

/** Baseline actor: plain DurableObject, one SQLite row, no migrations, auth or validation. */
export class BareActor extends DurableObject<Env> {
  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    ctx.storage.sql.exec("CREATE TABLE IF NOT EXISTS counter (n INTEGER NOT NULL)");
  }

  read(): number {
    return this.ctx.storage.sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM counter").one().n;
  }

  write(): number {
    this.ctx.storage.sql.exec("INSERT INTO counter (n) VALUES (1)");
    return this.read();
  }
}

/** Fan-out baseline: a bare hibernatable Durable Object that relays every frame to every
 * socket, with no auth, parsing or persistence. */
export class RawRoom extends DurableObject<Env> {
  override async fetch(): Promise<Response> {
    const [client, server] = Object.values(new WebSocketPair()) as [WebSocket, WebSocket];
    this.ctx.acceptWebSocket(server);
    return new Response(null, { status: 101, webSocket: client });
  }

  override webSocketMessage(_ws: WebSocket, message: string | ArrayBuffer): void {
    for (const socket of this.ctx.getWebSockets()) socket.send(message);
  }
}

const PLATFORM = { type: "service", id: "platform", secret_index: 0 } as const;
const SPEND = { amount: 1, type: "bench" };

type BenchEnv = Env & {
  BENCH_BARE: DurableObjectNamespace<BareActor>;
  BENCH_RAW_ROOM: DurableObjectNamespace<RawRoom>;
};

export default {
  async fetch(request, env, ctx) {
    const { pathname } = new URL(request.url);
    // Baselines: a bare Worker, and a bare Worker calling a bare actor by RPC.
    if (pathname === "/__bench/raw") return Response.json({ status: "ok" });
    if (pathname === "/__bench/bare-actor/read") {
      return Response.json({ n: await env.BENCH_BARE.getByName("bench").read() });
    }
    if (pathname === "/__bench/bare-actor/write") {
      return Response.json({ n: await env.BENCH_BARE.getByName("bench").write() });
    }
    if (pathname.startsWith("/__bench/raw-room/")) {
      return env.BENCH_RAW_ROOM.getByName(pathname.slice("/__bench/raw-room/".length)).fetch(
        request,
      );
    }
    if (pathname === "/__bench/wallet-rpc") {
      // The wallet's own spend, called straight from the Worker: no router, auth or validation.
      const account = new URL(request.url).searchParams.get("account") ?? "";
      const result = await env.WALLET.getByName(account).spend(account, PLATFORM, SPEND);
      return Response.json(result.body);
    }
    return worker.fetch(request, env, ctx);
  },
} satisfies ExportedHandler<BenchEnv>;
