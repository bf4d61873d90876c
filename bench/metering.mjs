// Metered calls (seed 002's track) through the router against a minimal counter Durable Object
// doing the same check-and-count, in the same run: politely (one at a time) and saturated.
import { measureInTurns, printTable } from "./measure.mjs";

const MINIMAL_COUNTER = "minimal counter DO (baseline)";
/** Users the calls are spread over, so no user reaches the per-minute limit. */
const USERS = 5_000;
/** Tiers with no monthly limit and a per-minute limit no user reaches: the checks still run. */
const OPEN_TIERS = [
  { id: "bench", name: "Bench", price: 0, limit: null, rate_limit_per_minute: 1_000_000 },
];

export async function metering({ url, jwt, createCreation, createSecretKey }) {
  const creation = await createCreation(jwt);
  const tiers = await fetch(url(`/v1/creations/${creation.id}/tiers`), {
    method: "PUT",
    headers: { authorization: `Bearer ${jwt}`, "content-type": "application/json" },
    body: JSON.stringify({ tiers: OPEN_TIERS }),
  });
  if (tiers.status !== 200) throw new Error(`tiers: ${await tiers.text()}`);
  const secretKey = await createSecretKey(creation.id, jwt);
  const run = Date.now();
  const post = (path, credential, body) =>
    fetch(url(path), {
      method: "POST",
      headers: {
        ...(credential ? { authorization: `Bearer ${credential}` } : {}),
        "content-type": "application/json",
      },
      body: JSON.stringify(body),
    });
  const track = `/v1/creations/${creation.id}/usage/track`;
  const user = (index) => `user-${index % USERS}`;
  for (const [concurrency, requests] of [
    [1, 500],
    [50, 2000],
  ]) {
    const rows = await measureInTurns(
      [
        [MINIMAL_COUNTER, (i) => post("/__bench/counter/track", null, { user_id: user(i) })],
        ["POST …/usage/track (sk_ key)", (i) => post(track, secretKey, { user_id: user(i) })],
        [
          "POST …/usage/track (rct_ token)",
          (i) => post(track, creation.token, { user_id: user(i) }),
        ],
        [
          "POST …/usage/track (sk_ + idempotency_key)",
          (i) =>
            post(track, secretKey, {
              user_id: user(i),
              idempotency_key: `bench-${run}-${concurrency}-${i}`,
            }),
        ],
      ],
      { concurrency, requests },
    );
    printTable(
      `Metering: track calls on one creation, concurrency ${concurrency}`,
      rows,
      MINIMAL_COUNTER,
    );
  }
}
