// A real identity provider's key set on 127.0.0.1, for production JWT mode (AUTH_JWKS_URL): an
// ES256 key pair made for this run; the public half is served at /jwks.json, and the private
// half is handed to the tests so they can sign tokens the Worker must verify through the URL.
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { exportJWK, generateKeyPair } from "jose";

export const JWKS_KID = "test-key-1";

export async function startJwksServer() {
  const { publicKey, privateKey } = await generateKeyPair("ES256", { extractable: true });
  const publicJwk = { ...(await exportJWK(publicKey)), kid: JWKS_KID, alg: "ES256", use: "sig" };
  const privateJwk = { ...(await exportJWK(privateKey)), kid: JWKS_KID, alg: "ES256" };
  const server = createServer((request, response) => {
    if (request.method === "GET" && request.url === "/jwks.json") {
      response.writeHead(200, { "content-type": "application/json" });
      response.end(JSON.stringify({ keys: [publicJwk] }));
      return;
    }
    response.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/jwks.json`,
    privateJwk: JSON.stringify(privateJwk),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
