// Property-based fuzzing of the request headers the router reads besides a bearer token: the
// service signature (troupe-timestamp, troupe-signature), Idempotency-Key, seed 001's
// x-sheen-signature, x-request-id, content-type, and the identity headers it strips. Every
// case acts on a deposit into a watched wallet, so what the headers let through is measured:
//   - only a genuine signature is accepted; a refused call moves no money;
//   - a signed mutation sent again verbatim (in sequence or as a flood, with any x-request-id,
//     content-type or hex case, under the same or a new Idempotency-Key) takes effect once: the
//     copies are 401 SIGNATURE_REPLAYED, or, with a reference_id in the signed body, the first
//     answer again;
//   - an idempotency key reused with another body is 422, a key that differs from the body's
//     reference_id is 422, a malformed key is 400; none of them moves money;
//   - x-sheen-signature is refused while LEGACY_BODY_SIGNATURE is off, and while it is on a
//     copy of a legacy-signed call never repeats its effect;
//   - every answer carries a well-formed x-request-id (the client's when it is well-formed),
//     and identity comes from credentials only;
// plus, after every request, what every fuzz answer holds (no 5xx, problem+json errors,
// prototypes untouched, /health up).

import { env } from "cloudflare:workers";
import * as fc from "fast-check";
import * as v from "valibot";
import { beforeAll } from "vitest";
import { createApp } from "../../src/router/app.ts";
import { apiRoutes } from "../../src/router/routes/index.ts";
import { clock } from "../../src/shared/clock.ts";
import { hmacSha256, toHex } from "../../src/shared/crypto.ts";
import {
  IDEMPOTENCY_KEY_MAX_LENGTH,
  REQUEST_ID_MAX_LENGTH,
  SERVICE_SIGNATURE_TOLERANCE_SECONDS,
} from "../../src/shared/limits.ts";
import { IdempotencyKeySchema } from "../../src/shared/schemas/wallet.ts";
import {
  SIGNATURE_HEADER,
  type SignedRequest,
  signingText,
  TIMESTAMP_HEADER,
} from "../../src/shared/service-signature.ts";
import { bearer, ORIGIN } from "../helpers.ts";
import { EdgeWorld } from "./edge-world.ts";
import {
  type Answer,
  type CaseOf,
  CaseReport,
  codeOf,
  type Fetcher,
  fresh,
  fuzzProperties,
  refused,
  sendCopies,
} from "./exchange.ts";
import { HOSTILE_HEADER_VALUES, headerLabel, headerText } from "./hostile.ts";
import { PrototypeGuard } from "./invariants.ts";
import { LongString } from "./json-text.ts";
import { SETUP_TIMEOUT_MS } from "./settings.ts";

const world = new EdgeWorld("signed");
const guard = new PrototypeGuard();
const [CURRENT_SECRET = "", PREVIOUS_SECRET = ""] = env.SERVICE_SECRETS.split(",");
/** A deposit is this much at most, so a run never nears any wallet limit. */
const MAX_AMOUNT = 1_000;
/** Copies of one signed call: a retry, a replay, a flood. */
const MAX_COPIES = 6;
/** Seconds inside and outside the signature's tolerance window. */
const WINDOW_MARGIN_SECONDS = 5;

/** Headers are sent with leading and trailing whitespace dropped (the Fetch standard). */
const asSent = (value: string) => value.replace(/^[\t ]+|[\t ]+$/g, "");

// ── the signed call ───────────────────────────────────────────────────────────────────────

/** One deposit into the payer's wallet, with a body no other case sends. */
function depositCall(amount: number, extra: Record<string, unknown> = {}): SignedRequest {
  return {
    method: "POST",
    pathAndQuery: `/v1/users/${world.payer}/wallet/deposit`,
    body: JSON.stringify({ amount, description: fresh("signed call "), ...extra }),
  };
}

async function sign(request: SignedRequest, timestamp: string, secret = CURRENT_SECRET) {
  return `v1=${toHex(await hmacSha256(secret, signingText(timestamp, request)))}`;
}

const nowSeconds = () => Math.floor(clock.now() / 1000);

function send(
  report: CaseReport,
  what: string,
  request: SignedRequest,
  headers: Record<string, string>,
  fetcher?: Fetcher,
) {
  return report.send(
    what,
    request.pathAndQuery,
    {
      method: request.method,
      headers: { "content-type": "application/json", ...headers },
      body: request.body,
    },
    fetcher,
  );
}

/** Sends the call and checks that the payer's balance moved by `amount` exactly once per
 * answer that applied it (a 200 that is not a replay), and never more than once. */
async function moneyBroken(
  report: CaseReport,
  amount: number,
  sendAll: () => Promise<Answer[]>,
): Promise<Answer[]> {
  const before = await world.userBalance(world.payer);
  const answers = await sendAll();
  const after = await world.userBalance(world.payer);
  const applied = answers.filter(
    (answer) => answer.status === 200 && answer.headers.get("idempotent-replayed") !== "true",
  );
  report.note(`balance ${before} → ${after}`);
  report.expect(applied.length <= 1, `${applied.length} copies applied the same call`);
  report.expect(
    after - before === amount * applied.length,
    `the balance moved by ${after - before}, but ${applied.length} answers applied ${amount}`,
  );
  const [first] = applied;
  for (const answer of answers) {
    report.expect(answer.status === 200 || refused(answer), `answered ${answer.status}`);
    if (first && answer.headers.get("idempotent-replayed") === "true") {
      report.expect(answer.text === first.text, "a replayed answer differs from the first");
    }
  }
  return answers;
}

// ── 1: the signature headers ──────────────────────────────────────────────────────────────

type Expectation = "accepted" | "refused" | "either";

/** One way of sending the signature headers for a call, named for the report. */
class SignatureVariant {
  constructor(
    readonly name: string,
    readonly expectation: Expectation,
    readonly headers: (request: SignedRequest, now: number) => Promise<Record<string, string>>,
  ) {}
  [fc.toStringMethod](): string {
    return this.name;
  }
}

const pair = async (request: SignedRequest, timestamp: string, secret?: string) => ({
  [TIMESTAMP_HEADER]: timestamp,
  [SIGNATURE_HEADER]: await sign(request, timestamp, secret),
});

/** The genuine headers with the signature replaced by `signature(genuine)`. */
const withSignature = (
  name: string,
  expectation: Expectation,
  signature: (genuine: string) => string,
) =>
  new SignatureVariant(name, expectation, async (request, now) => {
    const genuine = await pair(request, String(now));
    return { ...genuine, [SIGNATURE_HEADER]: signature(genuine[SIGNATURE_HEADER]) };
  });

/** The genuine signature sent with another timestamp header. */
const withTimestamp = (name: string, timestamp: (now: number) => string) =>
  new SignatureVariant(name, "refused", async (request, now) => ({
    ...(await pair(request, String(now))),
    [TIMESTAMP_HEADER]: timestamp(now),
  }));

const flipLast = (text: string) => `${text.slice(0, -1)}${text.endsWith("0") ? "1" : "0"}`;

const SIGNATURE_VARIANTS: readonly SignatureVariant[] = [
  new SignatureVariant("genuine", "accepted", (request, now) => pair(request, String(now))),
  new SignatureVariant("signed with the previous secret", "accepted", (request, now) =>
    pair(request, String(now), PREVIOUS_SECRET),
  ),
  new SignatureVariant("signed inside the window", "accepted", (request, now) =>
    pair(request, String(now - SERVICE_SIGNATURE_TOLERANCE_SECONDS + WINDOW_MARGIN_SECONDS)),
  ),
  new SignatureVariant("signed too long ago", "refused", (request, now) =>
    pair(request, String(now - SERVICE_SIGNATURE_TOLERANCE_SECONDS - WINDOW_MARGIN_SECONDS)),
  ),
  new SignatureVariant("signed in the future", "refused", (request, now) =>
    pair(request, String(now + SERVICE_SIGNATURE_TOLERANCE_SECONDS + WINDOW_MARGIN_SECONDS)),
  ),
  new SignatureVariant("timestamp with leading zeros, signed as sent", "either", (request, now) =>
    pair(request, `00${now}`),
  ),
  new SignatureVariant("signed with a wrong secret", "refused", (request, now) =>
    pair(request, String(now), "not-a-service-secret"),
  ),
  new SignatureVariant("signature of another method", "refused", async (request, now) =>
    pair({ ...request, method: "PUT" }, String(now)),
  ),
  new SignatureVariant("signature of another body", "refused", async (request, now) =>
    pair({ ...request, body: `${request.body} ` }, String(now)),
  ),
  new SignatureVariant("signature of another path", "refused", async (request, now) =>
    pair({ ...request, pathAndQuery: `/v1/users/${world.stranger}/wallet/deposit` }, String(now)),
  ),
  new SignatureVariant("no timestamp", "refused", async (request, now) => {
    const genuine = await pair(request, String(now));
    return { [SIGNATURE_HEADER]: genuine[SIGNATURE_HEADER] };
  }),
  new SignatureVariant("no signature", "refused", async (_request, now) => ({
    [TIMESTAMP_HEADER]: String(now),
  })),
  new SignatureVariant("genuine, with x-sheen-signature too", "accepted", async (request, now) => ({
    ...(await pair(request, String(now))),
    "x-sheen-signature": "0".repeat(64),
  })),
  new SignatureVariant("genuine, with identity headers", "accepted", async (request, now) => ({
    ...(await pair(request, String(now))),
    "x-user-id": world.stranger,
    "x-troupe-principal": '{"type":"user","id":"someone-else"}',
  })),
  withSignature("hex in upper case", "either", (s) => `v1=${s.slice(3).toUpperCase()}`),
  withSignature("scheme in upper case", "refused", (s) => `V1=${s.slice(3)}`),
  withSignature("another scheme", "refused", (s) => `v2=${s.slice(3)}`),
  withSignature("no scheme", "refused", (s) => s.slice(3)),
  withSignature("one byte short", "refused", (s) => s.slice(0, -2)),
  withSignature("one byte long", "refused", (s) => `${s}00`),
  withSignature("one digit changed", "refused", flipLast),
  withSignature("sent twice in one header", "refused", (s) => `${s},${s}`),
  withSignature("not hex", "refused", (s) => `v1=${"zz".repeat((s.length - 3) / 2)}`),
  withSignature("huge", "refused", (s) => `v1=${s.slice(3).repeat(1_000)}`),
  withTimestamp("timestamp one second off", (now) => String(now + 1)),
  withTimestamp("timestamp in milliseconds", (now) => String(now * 1000)),
  withTimestamp("timestamp with a fraction", (now) => `${now}.0`),
  withTimestamp("timestamp in exponent form", (now) => `${now / 1e9}e9`),
  withTimestamp("timestamp in hex", (now) => `0x${now.toString(16)}`),
  withTimestamp("timestamp negative", (now) => `-${now}`),
  withTimestamp("timestamp of a thousand digits", () => "9".repeat(1_000)),
  withTimestamp("timestamp with a digit of another script", (now) =>
    `${now}`.replace(/.$/, "\u0661"),
  ),
];

/** Hostile values in place of either header, next to a genuine other one. */
const HOSTILE_SIGNATURE_HEADERS: readonly SignatureVariant[] = HOSTILE_HEADER_VALUES.flatMap(
  (value) => [
    withTimestamp(`timestamp ${headerLabel(value)}`, () => headerText(value)),
    withSignature(`signature ${headerLabel(value)}`, "refused", () => headerText(value)),
  ],
);

const signatureVariantArb = fc.oneof(
  fc.constantFrom(...SIGNATURE_VARIANTS),
  fc.constantFrom(...HOSTILE_SIGNATURE_HEADERS),
);

async function signatureCase(variant: SignatureVariant, amount: number) {
  const report = new CaseReport(guard);
  const request = depositCall(amount);
  const headers = await variant.headers(request, nowSeconds());
  const [answer] = await moneyBroken(report, amount, async () => [
    await send(report, variant.name, request, headers),
  ]);
  if (answer && variant.expectation === "accepted") {
    report.expect(answer.status === 200, `a genuine signature (${variant.name}) was refused`);
  }
  if (answer && variant.expectation === "refused") {
    report.expect(
      answer.status === 401 && codeOf(answer) === "INVALID_SIGNATURE",
      `${variant.name} was not refused as INVALID_SIGNATURE`,
    );
  }
  await report.finish();
}

// ── 2: copies of one signed call ──────────────────────────────────────────────────────────

/** Where a call carries its idempotency key. Only a key in the signed body (reference_id) lets
 * a copy through to its stored answer; the signature does not cover an Idempotency-Key header,
 * so a copy under the same header, or a new one on each copy, is refused as a replay. */
const KEY_PLACES = [
  "none",
  "header",
  "a new header on each copy",
  "body",
  "header and body",
  "mismatch",
  "hostile header",
] as const;
type KeyPlace = (typeof KEY_PLACES)[number];

/** Headers the signature does not cover, different on every copy. */
const noiseArb = fc.record({
  requestId: fc.option(fc.constantFrom(...HOSTILE_HEADER_VALUES), { nil: undefined }),
  contentType: fc.constantFrom(
    "application/json",
    "application/json; charset=utf-8",
    "APPLICATION/JSON",
  ),
  upperHex: fc.boolean(),
});

const hostileKeyArb = fc.constantFrom<string | LongString>(
  ...HOSTILE_HEADER_VALUES,
  new LongString("k", IDEMPOTENCY_KEY_MAX_LENGTH),
  new LongString("k", IDEMPOTENCY_KEY_MAX_LENGTH + 1),
);

const copiesArb = fc.record({
  amount: fc.integer({ min: 1, max: MAX_AMOUNT }),
  place: fc.constantFrom(...KEY_PLACES),
  hostileKey: hostileKeyArb,
  noise: fc.array(noiseArb, { minLength: 2, maxLength: MAX_COPIES }),
  concurrent: fc.boolean(),
});

async function copiesCase({
  amount,
  place,
  hostileKey,
  noise,
  concurrent,
}: CaseOf<typeof copiesArb> & { place: KeyPlace }) {
  const report = new CaseReport(guard);
  const key = fresh("copy-key-");
  const inBody = place === "body" || place === "header and body" || place === "mismatch";
  const request = depositCall(amount, inBody ? { reference_id: key } : {});
  const header: Record<string, string> =
    place === "header" || place === "header and body"
      ? { "idempotency-key": key }
      : place === "mismatch"
        ? { "idempotency-key": `${key}-other` }
        : place === "hostile header"
          ? { "idempotency-key": headerText(hostileKey) }
          : {};
  const signed = await pair(request, String(nowSeconds()));
  const copy = (n: (typeof noise)[number], index: number) =>
    send(report, `copy ${index + 1}`, request, {
      ...header,
      ...(place === "a new header on each copy" ? { "idempotency-key": fresh("copy-key-") } : {}),
      [TIMESTAMP_HEADER]: signed[TIMESTAMP_HEADER],
      [SIGNATURE_HEADER]: n.upperHex
        ? `v1=${signed[SIGNATURE_HEADER].slice(3).toUpperCase()}`
        : signed[SIGNATURE_HEADER],
      "content-type": n.contentType,
      ...(n.requestId === undefined ? {} : { "x-request-id": headerText(n.requestId) }),
    });
  const answers = await moneyBroken(report, amount, () =>
    sendCopies(noise.length, concurrent, (index) =>
      copy(noise[index] as (typeof noise)[number], index),
    ),
  );
  const statuses = answers.map((answer) => `${answer.status} ${codeOf(answer) ?? ""}`.trim());
  const appliedOnce = answers.filter((answer) => answer.status === 200).length >= 1;
  if (place === "none" || place === "header" || place === "a new header on each copy") {
    const replayed = answers.filter((answer) => codeOf(answer) === "SIGNATURE_REPLAYED");
    report.expect(
      appliedOnce && replayed.length === answers.length - 1,
      `copies without a key in the signed body (${place}): ${statuses.join(", ")} (one 200, the rest SIGNATURE_REPLAYED)`,
    );
  }
  if (place === "body" || place === "header and body") {
    report.expect(
      answers.every((answer) => answer.status === 200),
      `copies with a fresh reference_id: ${statuses.join(", ")} (all 200, one applied)`,
    );
  }
  if (place === "mismatch") {
    report.expect(
      answers.every((answer) => codeOf(answer) === "IDEMPOTENCY_KEY_MISMATCH"),
      `Idempotency-Key ≠ reference_id: ${statuses.join(", ")} (all IDEMPOTENCY_KEY_MISMATCH)`,
    );
  }
  await report.finish();
}

// ── 3: a key reused with another body ─────────────────────────────────────────────────────

const reuseArb = fc.record({
  amount: fc.integer({ min: 1, max: MAX_AMOUNT }),
  key: fc.option(hostileKeyArb, { nil: undefined, freq: 2 }),
  first: fc.constantFrom("header", "body"),
  second: fc.constantFrom("header", "body"),
});

async function reuseCase({ amount, key: hostile, first, second }: CaseOf<typeof reuseArb>) {
  const report = new CaseReport(guard);
  const key = hostile === undefined ? fresh("reused-key-") : headerText(hostile);
  const keyed = async (place: string, call: SignedRequest) =>
    send(report, `key in the ${place}`, call, {
      ...(place === "header" ? { "idempotency-key": key } : {}),
      ...(await pair(call, String(nowSeconds()))),
    });
  const call = (place: string, n: number) =>
    depositCall(n, place === "body" ? { reference_id: key } : {});
  const [answer, again] = await moneyBroken(report, amount, async () => [
    await keyed(first, call(first, amount)),
    await keyed(second, call(second, amount + 1)),
  ]);
  if (!answer || !again) return report.finish();
  // A header is sent trimmed; a body field exactly as it is.
  const valid = (place: string) =>
    v.is(IdempotencyKeySchema, place === "header" ? asSent(key) : key);
  report.expect(again.status !== 200, "a key reused with another body was applied again");
  if (valid(first) && valid(second)) {
    report.expect(
      again.status === 422 && codeOf(again) === "IDEMPOTENCY_KEY_REUSED",
      `a key reused with another body answered ${again.status} ${codeOf(again)}, not 422 IDEMPOTENCY_KEY_REUSED`,
    );
  }
  for (const [place, sent] of [
    [first, answer],
    [second, again],
  ] as const) {
    if (!valid(place)) {
      report.expect(sent.status === 400, `a malformed key (${place}) answered ${sent.status}`);
    }
  }
  await report.finish();
}

// ── 4: seed 001's x-sheen-signature ───────────────────────────────────────────────────────

const legacyApp = createApp(apiRoutes);
/** The Worker's routes with LEGACY_BODY_SIGNATURE on (the test bindings keep it off). */
const legacyOn: Fetcher = async (target, init) =>
  legacyApp.fetch(new Request(`${ORIGIN}${target}`, init), {
    ...env,
    LEGACY_BODY_SIGNATURE: "true",
  });

const legacySignature = async (request: SignedRequest, secret = CURRENT_SECRET) =>
  toHex(await hmacSha256(secret, request.body + request.pathAndQuery));

const legacyArb = fc.record({
  enabled: fc.boolean(),
  amount: fc.integer({ min: 1, max: MAX_AMOUNT }),
  signature: fc.oneof(
    { weight: 2, arbitrary: fc.constantFrom("genuine", "genuine, upper case", "previous secret") },
    { weight: 1, arbitrary: fc.constantFrom(...HOSTILE_HEADER_VALUES) },
  ),
  copies: fc.integer({ min: 1, max: MAX_COPIES }),
  concurrent: fc.boolean(),
});

async function legacyCase({
  enabled,
  amount,
  signature,
  copies,
  concurrent,
}: CaseOf<typeof legacyArb>) {
  const report = new CaseReport(guard);
  const request = depositCall(amount);
  const genuine = typeof signature === "string" && signature.startsWith("genuine");
  const header =
    signature === "genuine"
      ? await legacySignature(request)
      : signature === "genuine, upper case"
        ? (await legacySignature(request)).toUpperCase()
        : signature === "previous secret"
          ? await legacySignature(request, PREVIOUS_SECRET)
          : headerText(signature);
  const one = (index: number) =>
    send(
      report,
      `legacy ${enabled ? "on" : "off"}, copy ${index + 1}`,
      request,
      { "x-sheen-signature": header },
      enabled ? legacyOn : undefined,
    );
  const answers = await moneyBroken(report, amount, () => sendCopies(copies, concurrent, one));
  const applied = answers.filter((answer) => answer.status === 200).length;
  if (!enabled || !(genuine || signature === "previous secret")) {
    report.expect(
      answers.every((answer) => codeOf(answer) === "INVALID_SIGNATURE"),
      "a legacy signature was accepted while disabled, or a forged one at all",
    );
  } else {
    report.expect(
      applied === 1 &&
        answers.every((answer) => answer.status === 200 || codeOf(answer) === "SIGNATURE_REPLAYED"),
      "a genuine legacy call: one 200, the copies SIGNATURE_REPLAYED",
    );
  }
  await report.finish();
}

// ── 5: x-request-id and identity headers ──────────────────────────────────────────────────

const REQUEST_ID = /^[\w\-=]+$/;
const IDENTITY_HEADERS = [
  "x-user-id",
  "x-verified-user",
  "x-verified-agent",
  "x-auth-type",
  "x-platform-user-id",
  "x-troupe-user",
  "x-troupe-principal",
  "X-Troupe-Admin",
] as const;

const requestIdArb = fc.record({
  target: fc.constantFrom("health", "anonymous me", "payer's me", "unsigned deposit"),
  requestId: fc.option(
    fc.oneof(
      fc.constantFrom(...HOSTILE_HEADER_VALUES),
      fc.stringMatching(/^[\w\-=]{1,40}$/),
      fc.constantFrom(
        new LongString("r", REQUEST_ID_MAX_LENGTH),
        new LongString("r", REQUEST_ID_MAX_LENGTH + 1),
      ),
    ),
    { nil: undefined },
  ),
  identity: fc.array(
    fc.tuple(
      fc.constantFrom(...IDENTITY_HEADERS),
      fc.constantFrom("edge-admin", "admin", "service", "__proto__", '{"type":"service"}'),
    ),
    { maxLength: 3 },
  ),
});

async function requestIdCase({ target, requestId, identity }: CaseOf<typeof requestIdArb>) {
  const report = new CaseReport(guard);
  const headers: Record<string, string> = Object.fromEntries(identity);
  if (requestId !== undefined) headers["x-request-id"] = headerText(requestId);
  if (target === "payer's me") Object.assign(headers, await bearer({ sub: world.payer }));
  const answer =
    target === "unsigned deposit"
      ? await send(report, target, depositCall(1), headers)
      : await report.send(target, target === "health" ? "/health" : "/v1/me", { headers });
  const id = answer.headers.get("x-request-id") ?? "";
  report.expect(
    id.length > 0 && id.length <= REQUEST_ID_MAX_LENGTH && REQUEST_ID.test(id),
    `answered x-request-id ${JSON.stringify(id.slice(0, 200))}`,
  );
  const sent = requestId === undefined ? undefined : asSent(headerText(requestId));
  if (sent && sent.length <= REQUEST_ID_MAX_LENGTH && REQUEST_ID.test(sent)) {
    report.expect(id === sent, "a well-formed x-request-id was not echoed");
  }
  if (answer.status >= 400) {
    report.expect(answer.json?.request_id === id, "the problem's request_id is not the header's");
  }
  const expected = { health: 200, "anonymous me": 401, "payer's me": 200, "unsigned deposit": 401 };
  report.expect(
    answer.status === expected[target],
    `identity headers turned a ${expected[target]} into ${answer.status}`,
  );
  if (target === "payer's me" && answer.status === 200) {
    report.expect(
      answer.json?.id === world.payer && answer.json?.admin === false,
      "identity headers changed who the caller is",
    );
  }
  await report.finish();
}

// ── tests ─────────────────────────────────────────────────────────────────────────────────

fuzzProperties(
  "signed calls",
  "signed calls and the headers the router reads",
  {
    "only a genuine troupe-timestamp and troupe-signature get a call through, and a refused call moves no money":
      fc.asyncProperty(signatureVariantArb, fc.integer({ min: 1, max: MAX_AMOUNT }), signatureCase),
    "a signed call sent again verbatim, in sequence or as a flood, takes effect once":
      fc.asyncProperty(copiesArb, copiesCase),
    "an idempotency key reused with another body is 422, a malformed one 400, neither moves money":
      fc.asyncProperty(reuseArb, reuseCase),
    "x-sheen-signature is refused while disabled, and a legacy-signed copy never repeats its effect":
      fc.asyncProperty(legacyArb, legacyCase),
    "every answer carries a well-formed x-request-id, and identity headers identify no one":
      fc.asyncProperty(requestIdArb, requestIdCase),
  },
  MAX_COPIES,
);

beforeAll(() => world.setup(), SETUP_TIMEOUT_MS);
