// What the benchmarks set up through the public API before they measure: users' JWTs,
// creations, funded creation wallets and room tickets. Shared by run.mjs and profile.mjs.
import { SignJWT } from "jose";
import { signRequest } from "../src/shared/service-signature.ts";

/** @param {string} baseUrl the dev server's @param {Record<string, string>} vars its vars */
export function benchFixtures(baseUrl, vars) {
  const url = (path) => `${baseUrl}${path}`;
  const wsUrl = (path) => url(path).replace(/^http/, "ws");
  const serviceSecret = vars.SERVICE_SECRETS.split(",")[0];

  const jwtFor = (sub) =>
    new SignJWT({})
      .setProtectedHeader({ alg: "HS256" })
      .setSubject(sub)
      .setExpirationTime("1h")
      .sign(new TextEncoder().encode(vars.AUTH_JWT_SECRET));

  /** A new creation owned by the user of `jwt`: `{ id, token, … }`. */
  const createCreation = async (jwt) =>
    (
      await fetch(url("/v1/creations"), {
        method: "POST",
        headers: { authorization: `Bearer ${jwt}` },
      })
    ).json();

  /** A new creation whose wallet the platform funded with more than any bench spends. */
  const createFundedCreation = async (jwt) => {
    const created = await createCreation(jwt);
    const path = `/v1/creations/${created.id}/wallet/deposit`;
    const body = JSON.stringify({ amount: 1_000_000_000 });
    const signed = await signRequest(serviceSecret, { method: "POST", pathAndQuery: path, body });
    const funded = await fetch(url(path), {
      method: "POST",
      headers: {
        "content-type": "application/json",
        "troupe-timestamp": signed.timestamp,
        "troupe-signature": signed.signature,
      },
      body,
    });
    if (!funded.ok) throw new Error(`funding failed: ${funded.status} ${await funded.text()}`);
    return created;
  };

  /** A new live secret key (`sk_live_…`) of a creation the user of `jwt` owns. */
  const createSecretKey = async (creationId, jwt) => {
    const response = await fetch(url(`/v1/creations/${creationId}/keys`), {
      method: "POST",
      headers: { authorization: `Bearer ${jwt}`, "content-type": "application/json" },
      body: JSON.stringify({ kind: "secret", mode: "live", name: "bench" }),
    });
    if (response.status !== 201) throw new Error(`key creation failed: ${await response.text()}`);
    return (await response.json()).key;
  };

  /** The WebSocket URL of a room, with a fresh single-use ticket for the user of `jwt`. */
  const roomUrlWithTicket = async (creationId, room, jwt) => {
    const response = await fetch(url(`/v1/rooms/${creationId}/${room}/tickets`), {
      method: "POST",
      headers: { authorization: `Bearer ${jwt}` },
    });
    const { ticket } = await response.json();
    return wsUrl(`/v1/rooms/${creationId}/${room}?ticket=${ticket}`);
  };

  return {
    url,
    wsUrl,
    serviceSecret,
    jwtFor,
    createCreation,
    createFundedCreation,
    createSecretKey,
    roomUrlWithTicket,
  };
}
