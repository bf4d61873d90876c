// A real HTTP receiver on 127.0.0.1 for webhook tests. Paths choose the answer:
//   POST /ok/<key>    → 204      POST /fail/<key> → 500
// and GET /received/<key> lists what was delivered under that key, in arrival order.
import { createServer, type IncomingMessage } from "node:http";
import type { AddressInfo } from "node:net";

export interface ReceivedRequest {
  method: string;
  path: string;
  headers: Record<string, string>;
  body: string;
}

const RECEIVED_PER_KEY_MAX = 1_000;

function readBody(request: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    request.on("error", reject);
  });
}

export async function startWebhookReceiver(): Promise<{ url: string; close: () => Promise<void> }> {
  const received = new Map<string, ReceivedRequest[]>();
  const server = createServer(async (request, response) => {
    const [, mode, key] = (request.url ?? "").split("/");
    if (request.method === "GET" && mode === "received" && key) {
      response.writeHead(200, { "content-type": "application/json" });
      response.end(JSON.stringify(received.get(key) ?? []));
      return;
    }
    if (request.method !== "POST" || !key || (mode !== "ok" && mode !== "fail")) {
      response.writeHead(404).end();
      return;
    }
    const list = received.get(key) ?? [];
    if (list.length < RECEIVED_PER_KEY_MAX) {
      list.push({
        method: request.method,
        path: request.url ?? "",
        headers: Object.fromEntries(
          Object.entries(request.headers).map(([name, value]) => [name, String(value)]),
        ),
        body: await readBody(request),
      });
    }
    received.set(key, list);
    response.writeHead(mode === "ok" ? 204 : 500).end();
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
