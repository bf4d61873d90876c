// `npm run bench`: starts wrangler dev on the bench Worker and prints one table per area,
// each with ratios against a raw baseline measured in the same run.
import { SignJWT } from "jose";
import { startDevServer } from "../scripts/dev-server.mjs";
import { readDevVars } from "../scripts/dev-vars.mjs";
import { signRequest } from "../src/shared/service-signature.ts";
import { measure, printTable } from "./measure.mjs";

const vars = readDevVars();
const server = await startDevServer({ script: "bench/worker.ts" });
const url = (path) => `${server.baseUrl}${path}`;

try {
  const jwt = await new SignJWT({})
    .setProtectedHeader({ alg: "HS256" })
    .setSubject("bench-user")
    .setExpirationTime("1h")
    .sign(new TextEncoder().encode(vars.AUTH_JWT_SECRET));
  const serviceSecret = vars.SERVICE_SECRETS.split(",")[0];

  const rows = [
    await measure("raw Worker (baseline)", () => fetch(url("/__bench/raw"))),
    await measure("GET /health (router)", () => fetch(url("/health"))),
    await measure("GET /v1/me (JWT)", () =>
      fetch(url("/v1/me"), { headers: { authorization: `Bearer ${jwt}` } }),
    ),
    await measure("GET /v1/me (service signature)", async () => {
      const { timestamp, signature } = await signRequest(serviceSecret, {
        method: "GET",
        pathAndQuery: "/v1/me",
        body: "",
      });
      return fetch(url("/v1/me"), {
        headers: { "troupe-timestamp": timestamp, "troupe-signature": signature },
      });
    }),
  ];
  printTable("Router and auth", rows, "raw Worker (baseline)");
} finally {
  await server.stop();
}
