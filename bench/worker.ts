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

/**
 * The floor for a spend: a plain Durable Object with one balance row, a ledger and idempotency
 * records, doing the check, the debit, the ledger insert and the idempotency row in one
 * synchronous block. No framework, auth, validation or migrations table.
 */
export class MinimalLedger extends DurableObject<Env> {
  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    ctx.storage.sql.exec(`
      CREATE TABLE IF NOT EXISTS balance (only INTEGER PRIMARY KEY, amount INTEGER NOT NULL);
      INSERT OR IGNORE INTO balance VALUES (1, 1000000000);
      CREATE TABLE IF NOT EXISTS ledger (seq INTEGER PRIMARY KEY, amount INTEGER NOT NULL,
        reference_id TEXT, at INTEGER NOT NULL);
      CREATE TABLE IF NOT EXISTS idempotency (key TEXT PRIMARY KEY, response TEXT NOT NULL);`);
  }

  spend(amount: number, referenceId: string): { balance: number; seq: number } | null {
    const sql = this.ctx.storage.sql;
    return this.ctx.storage.transactionSync(() => {
      const stored = sql
        .exec<{ response: string }>("SELECT response FROM idempotency WHERE key = ?", referenceId)
        .toArray()[0];
      if (stored) return JSON.parse(stored.response);
      const balance = sql
        .exec<{ amount: number }>(
          "UPDATE balance SET amount = amount - ? WHERE amount >= ? RETURNING amount",
          amount,
          amount,
        )
        .toArray()[0];
      if (!balance) return null;
      const seq = sql
        .exec<{ seq: number }>(
          "INSERT INTO ledger (amount, reference_id, at) VALUES (?, ?, ?) RETURNING seq",
          -amount,
          referenceId,
          Date.now(),
        )
        .one().seq;
      const result = { balance: balance.amount, seq };
      sql.exec("INSERT INTO idempotency VALUES (?, ?)", referenceId, JSON.stringify(result));
      return result;
    });
  }
}

/**
 * The floor for a metered call: a plain Durable Object doing seed 002's job correctly — the
 * user's per-minute window and their monthly count, checked and bumped in one synchronous
 * block. No framework, auth, validation, tiers, days or idempotency.
 */
export class MinimalCounter extends DurableObject<Env> {
  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    ctx.storage.sql.exec(`
      CREATE TABLE IF NOT EXISTS rates (user_id TEXT PRIMARY KEY, minute INTEGER, n INTEGER);
      CREATE TABLE IF NOT EXISTS counts (user_id TEXT, period TEXT, n INTEGER,
        PRIMARY KEY (user_id, period));`);
  }

  track(userId: string, limit: number, perMinute: number): { count: number } | null {
    const sql = this.ctx.storage.sql;
    return this.ctx.storage.transactionSync(() => {
      const now = Date.now();
      const minute = Math.floor(now / 60_000);
      const rate = sql
        .exec<{ minute: number; n: number }>(
          "SELECT minute, n FROM rates WHERE user_id = ?",
          userId,
        )
        .toArray()[0];
      const used = rate && rate.minute === minute ? rate.n : 0;
      if (used >= perMinute) return null;
      sql.exec("INSERT OR REPLACE INTO rates VALUES (?, ?, ?)", userId, minute, used + 1);
      const period = new Date(now).toISOString().slice(0, 7);
      const count =
        sql
          .exec<{ n: number }>(
            "SELECT n FROM counts WHERE user_id = ? AND period = ?",
            userId,
            period,
          )
          .toArray()[0]?.n ?? 0;
      if (count >= limit) return null;
      sql.exec("INSERT OR REPLACE INTO counts VALUES (?, ?, ?)", userId, period, count + 1);
      return { count: count + 1 };
    });
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
  BENCH_LEDGER: DurableObjectNamespace<MinimalLedger>;
  BENCH_COUNTER: DurableObjectNamespace<MinimalCounter>;
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
    if (pathname === "/__bench/min-ledger/spend") {
      // The same JSON body the router's spend gets, straight into the minimal ledger.
      const { amount, reference_id } = await request.json<{
        amount: number;
        reference_id: string;
      }>();
      const result = await env.BENCH_LEDGER.getByName("bench").spend(amount, reference_id);
      return result
        ? Response.json(result)
        : Response.json({ error: "insufficient" }, { status: 402 });
    }
    if (pathname === "/__bench/counter/track") {
      // The same JSON body the router's track gets, straight into the minimal counter.
      const { user_id } = await request.json<{ user_id: string }>();
      const result = await env.BENCH_COUNTER.getByName("bench").track(user_id, 1e12, 1e6);
      return result ? Response.json(result) : Response.json({ error: "limit" }, { status: 403 });
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
