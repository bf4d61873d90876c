// Property-based fuzzing of bearer credentials as a client sends them: the Authorization header
// (odd whitespace and case around genuine tokens; user JWTs and rct_ creation tokens tampered
// with part by part) and the rat_ access token a creation sends in on_behalf_of_access_token to
// spend from a user's wallet. After every case:
//   - a tampered token is refused (401, or 400/403 where the body or the token's creation is
//     wrong), a genuine one is accepted, and whitespace never changes who the caller is;
//   - the payer's balance moves only by a spend made with the genuine, current token of the
//     creation that holds it, once per reference_id, however often it is sent;
// plus what every fuzz answer holds (no 5xx, problem+json errors, prototypes untouched,
// /health up).

import { env } from "cloudflare:workers";
import * as fc from "fast-check";
import { SignJWT } from "jose";
import { beforeAll } from "vitest";
import { mintAccessToken } from "../../src/shared/access-tokens.ts";
import { clock } from "../../src/shared/clock.ts";
import { base64url } from "../../src/shared/crypto.ts";
import { ACCESS_TOKEN_MAX_LENGTH, ACCESS_TOKEN_TTL_SECONDS } from "../../src/shared/limits.ts";
import { asCreation, jsonInit, userToken } from "../helpers.ts";
import { EdgeWorld } from "./edge-world.ts";
import {
  type Answer,
  type CaseOf,
  CaseReport,
  codeOf,
  fresh,
  fuzzProperties,
  sendCopies,
} from "./exchange.ts";
import { HOSTILE_HEADER_VALUES, headerText } from "./hostile.ts";
import { PrototypeGuard } from "./invariants.ts";
import { SETUP_TIMEOUT_MS } from "./settings.ts";

const world = new EdgeWorld("authz");
const guard = new PrototypeGuard();
/** Copies of one spend: a retry, a replay. */
const MAX_COPIES = 3;
/** What one spend on the payer's behalf costs. */
const SPEND = 1;

type Expectation = "accepted" | "refused" | "either";

/** One way of writing the Authorization header around a token, named for the report. */
class Variant<T> {
  constructor(
    readonly name: string,
    readonly expectation: Expectation,
    readonly make: (input: T) => string | Promise<string>,
  ) {}
  [fc.toStringMethod](): string {
    return this.name;
  }
}

const encodeJson = (value: unknown) => base64url(new TextEncoder().encode(JSON.stringify(value)));
const decodeJson = (part: string) =>
  JSON.parse(atob(part.replaceAll("-", "+").replaceAll("_", "/"))) as Record<string, unknown>;
/** A character of base64url text replaced by another one. */
const flipAt = (text: string, index: number) =>
  `${text.slice(0, index)}${text[index] === "A" ? "B" : "A"}${text.slice(index + 1)}`;
/** The token with its `index`th dot-separated part changed. */
const withPart = (token: string, index: number, change: (part: string) => string) =>
  token
    .split(".")
    .map((part, at) => (at === index ? change(part) : part))
    .join(".");

// ── 1: the Authorization header ───────────────────────────────────────────────────────────

/** Ways to send a genuine token: whitespace and case the header may carry. */
const SCHEMES: readonly Variant<string>[] = [
  new Variant("Bearer <token>", "accepted", (t) => `Bearer ${t}`),
  new Variant("bearer <token>", "either", (t) => `bearer ${t}`),
  new Variant("BEARER <token>", "either", (t) => `BEARER ${t}`),
  new Variant("Bearer, a tab, <token>", "either", (t) => `Bearer\t${t}`),
  new Variant("Bearer, three spaces, <token>", "either", (t) => `Bearer   ${t}`),
  new Variant("Bearer <token>, trailing spaces", "either", (t) => `Bearer ${t}  \t`),
  new Variant("leading spaces, Bearer <token>", "either", (t) => `  Bearer ${t}`),
  new Variant("Bearer<token>", "refused", (t) => `Bearer${t}`),
  new Variant("Bearer <token> <token>", "refused", (t) => `Bearer ${t} ${t}`),
  new Variant("Bearer <token>,Bearer <token>", "refused", (t) => `Bearer ${t},Bearer ${t}`),
  new Variant("Token <token>", "refused", (t) => `Token ${t}`),
  new Variant("Basic <token>", "refused", (t) => `Basic ${t}`),
  new Variant("<token>", "refused", (t) => t),
  new Variant(
    "Bearer <token with a space inside>",
    "refused",
    (t) => `Bearer ${t.slice(0, 8)} ${t.slice(8)}`,
  ),
];

/** Tampered user JWTs: each must be refused (401). */
const JWT_TAMPERING: readonly Variant<string>[] = [
  new Variant("payload claims admin, signature kept", "refused", (t) =>
    withPart(t, 1, (part) => encodeJson({ ...decodeJson(part), role: "admin" })),
  ),
  new Variant("payload names another user, signature kept", "refused", (t) =>
    withPart(t, 1, (part) => encodeJson({ ...decodeJson(part), sub: world.stranger })),
  ),
  new Variant("payload without exp, signature kept", "refused", (t) =>
    withPart(t, 1, (part) => encodeJson({ ...decodeJson(part), exp: undefined })),
  ),
  new Variant("header says alg none, signature dropped", "refused", (t) =>
    withPart(
      withPart(t, 0, () => encodeJson({ alg: "none", typ: "JWT" })),
      2,
      () => "",
    ),
  ),
  new Variant("header says HS512", "refused", (t) =>
    withPart(t, 0, () => encodeJson({ alg: "HS512", typ: "JWT" })),
  ),
  new Variant("signature changed", "refused", (t) => withPart(t, 2, (part) => flipAt(part, 3))),
  new Variant("signature cut short", "refused", (t) => withPart(t, 2, (part) => part.slice(0, 20))),
  new Variant("signature dropped", "refused", (t) => withPart(t, 2, () => "")),
  new Variant("a fourth part", "refused", (t) => `${t}.${t.split(".")[2]}`),
  new Variant("base64 padding added", "refused", (t) => withPart(t, 1, (part) => `${part}==`)),
  new Variant("standard base64 instead of base64url", "refused", (t) =>
    withPart(t, 2, (part) => `${part.replaceAll("-", "+").replaceAll("_", "/")}+/`),
  ),
  new Variant("signed with another secret", "refused", () =>
    userToken({ sub: world.payer, secret: "not-the-jwt-secret-0123456789abcdef" }),
  ),
  new Variant("expired a minute ago", "refused", () =>
    userToken({ sub: world.payer, expiresInSeconds: -60 }),
  ),
  new Variant("issued in the future", "refused", async () => {
    const now = Math.floor(clock.now() / 1000);
    return new SignJWT({})
      .setProtectedHeader({ alg: "HS256" })
      .setSubject(world.payer)
      .setIssuedAt(now + 3_600)
      .setNotBefore(now + 3_600)
      .setExpirationTime(now + 7_200)
      .sign(new TextEncoder().encode(env.AUTH_JWT_SECRET));
  }),
  new Variant("prefixed rct_", "refused", (t) => `rct_${t}`),
  new Variant("prefixed rat_", "refused", (t) => `rat_${t}`),
  new Variant("repeated a thousand times", "refused", (t) => t.repeat(1_000)),
];

/** Tampered rct_ creation tokens (rct_<creation>.<version>.<tag>): each must be refused. */
const CREATION_TAMPERING: readonly Variant<string>[] = [
  new Variant("version raised", "refused", (t) =>
    withPart(t, 1, (version) => String(Number(version) + 1)),
  ),
  new Variant("version lowered", "refused", (t) =>
    withPart(t, 1, (version) => String(Number(version) - 1)),
  ),
  new Variant("version with a leading zero", "refused", (t) => withPart(t, 1, (v) => `0${v}`)),
  new Variant("version huge", "refused", (t) => withPart(t, 1, () => "9".repeat(40))),
  new Variant("version negative", "refused", (t) => withPart(t, 1, (v) => `-${v}`)),
  new Variant("another creation's id, tag kept", "refused", (t) =>
    withPart(t, 0, () => `rct_${world.otherCreationId}`),
  ),
  new Variant("tag changed", "refused", (t) => withPart(t, 2, (tag) => flipAt(tag, 5))),
  new Variant("tag cut short", "refused", (t) => withPart(t, 2, (tag) => tag.slice(0, -4))),
  new Variant("tag one character longer", "refused", (t) => withPart(t, 2, (tag) => `${tag}A`)),
  new Variant("tag padded", "refused", (t) => withPart(t, 2, (tag) => `${tag}=`)),
  new Variant("tag empty", "refused", (t) => withPart(t, 2, () => "")),
  new Variant("a fourth part", "refused", (t) => `${t}.x`),
  new Variant("prefix in upper case", "refused", (t) => `RCT_${t.slice(4)}`),
  new Variant("creation id in upper case", "refused", (t) =>
    withPart(t, 0, (part) => `rct_${part.slice(4).toUpperCase()}`),
  ),
  new Variant("the rotated (revoked) token", "refused", () => world.revokedToken),
  new Variant("the payer's rat_ token", "refused", () => world.accessToken),
];

/** The plain scheme most of the time, so genuine tokens are also seen accepted. */
const schemeArb = fc.oneof(
  { weight: 3, arbitrary: fc.constant(SCHEMES[0] as Variant<string>) },
  { weight: 1, arbitrary: fc.constantFrom(...SCHEMES) },
);

const bearerArb = fc.oneof(
  fc.record({
    kind: fc.constant("user" as const),
    scheme: schemeArb,
    tampering: fc.option(fc.constantFrom(...JWT_TAMPERING), { nil: undefined, freq: 2 }),
  }),
  fc.record({
    kind: fc.constant("creation" as const),
    scheme: schemeArb,
    tampering: fc.option(fc.constantFrom(...CREATION_TAMPERING), { nil: undefined, freq: 2 }),
  }),
  fc.record({
    kind: fc.constant("hostile" as const),
    scheme: schemeArb,
    tampering: fc.constant(undefined),
    value: fc.constantFrom(...HOSTILE_HEADER_VALUES),
  }),
);

async function bearerCase(generated: CaseOf<typeof bearerArb>) {
  const { kind, scheme, tampering } = generated;
  const report = new CaseReport(guard);
  const genuine =
    kind === "user"
      ? await userToken({ sub: world.payer })
      : kind === "creation"
        ? world.creationToken
        : headerText(generated.value);
  const token = tampering ? await tampering.make(genuine) : genuine;
  const header = await scheme.make(token);
  const target = kind === "creation" ? `/v1/creations/${world.creationId}/wallet` : "/v1/me";
  let answer: Answer;
  try {
    answer = await report.send(`${kind} token, ${scheme.name}`, target, {
      headers: { authorization: header },
    });
  } catch (error) {
    // The Headers constructor refuses some values before any request exists.
    report.note(`not sendable: ${String(error)}`);
    return report.finish();
  }
  const expectation: Expectation = kind === "hostile" || tampering ? "refused" : scheme.expectation;
  if (expectation === "refused") {
    report.expect(answer.status === 401, `a ${tampering?.name ?? "wrong"} token was not refused`);
  }
  if (expectation === "accepted") {
    report.expect(answer.status === 200, "a genuine token was refused");
  }
  if (answer.status === 200) {
    const who = kind === "creation" ? answer.json?.creation_id : answer.json?.id;
    const expected = kind === "creation" ? world.creationId : world.payer;
    report.expect(
      who === expected && answer.json?.admin !== true,
      `accepted as ${JSON.stringify(who)}, not ${expected}`,
    );
  }
  await report.finish();
}

// ── 2: on_behalf_of_access_token ──────────────────────────────────────────────────────────

/** A JWE's parts: protected header, encrypted key, iv, ciphertext, tag. */
const JWE_PARTS = ["header", "encrypted key", "iv", "ciphertext", "tag"];
const jwe = (token: string) => token.slice("rat_".length);

const ACCESS_TOKENS: readonly Variant<void>[] = [
  new Variant("genuine", "accepted", () => world.accessToken),
  new Variant(
    "minted just now",
    "accepted",
    async () => (await mintAccessToken(env.TOKEN_SECRET, world.payer, world.creationId)).token,
  ),
  new Variant("expired", "refused", async () => {
    const past = Math.floor(clock.now() / 1000) - ACCESS_TOKEN_TTL_SECONDS - 60;
    return (await mintAccessToken(env.TOKEN_SECRET, world.payer, world.creationId, past)).token;
  }),
  new Variant("for the other creation", "refused", () => world.otherAccessToken),
  new Variant(
    "for a user who gave no budget",
    "refused",
    async () => (await mintAccessToken(env.TOKEN_SECRET, world.stranger, world.creationId)).token,
  ),
  new Variant(
    "minted with another secret",
    "refused",
    async () =>
      (await mintAccessToken("not-the-token-secret", world.payer, world.creationId)).token,
  ),
  ...JWE_PARTS.map(
    (part, index) =>
      new Variant(
        `${part} changed`,
        "refused",
        () =>
          `rat_${withPart(jwe(world.accessToken), index, (text) => flipAt(text, Math.min(2, text.length - 1)))}`,
      ),
  ),
  new Variant("ciphertext and tag of the other creation's token", "refused", () => {
    const mine = jwe(world.accessToken).split(".");
    const theirs = jwe(world.otherAccessToken).split(".");
    return `rat_${[...mine.slice(0, 3), ...theirs.slice(3)].join(".")}`;
  }),
  new Variant(
    "header says A128GCM",
    "refused",
    () =>
      `rat_${withPart(jwe(world.accessToken), 0, () => encodeJson({ alg: "dir", enc: "A128GCM" }))}`,
  ),
  new Variant("tag dropped", "refused", () => world.accessToken.replace(/\.[^.]*$/, ".")),
  new Variant("cut short", "refused", () => world.accessToken.slice(0, -10)),
  new Variant(
    "a signed JWT instead",
    "refused",
    async () => `rat_${await userToken({ sub: world.payer })}`,
  ),
  new Variant("prefix only", "refused", () => "rat_"),
  new Variant("prefix in upper case", "refused", () => `RAT_${jwe(world.accessToken)}`),
  new Variant("a space before it", "refused", () => ` ${world.accessToken}`),
  new Variant(
    "over the length limit",
    "refused",
    () => `rat_${"a".repeat(ACCESS_TOKEN_MAX_LENGTH)}`,
  ),
  new Variant("the creation's own rct_ token", "refused", () => world.creationToken),
];

const spendArb = fc.record({
  token: fc.option(fc.constantFrom(...ACCESS_TOKENS), { nil: undefined, freq: 10 }),
  copies: fc.integer({ min: 1, max: MAX_COPIES }),
  concurrent: fc.boolean(),
});

async function spendCase({ token: variant, copies, concurrent }: CaseOf<typeof spendArb>) {
  const report = new CaseReport(guard);
  const token = variant ? await variant.make() : undefined;
  const body = {
    amount: SPEND,
    type: "fuzz_on_behalf",
    reference_id: fresh("on-behalf-"),
    ...(token === undefined ? {} : { on_behalf_of_access_token: token }),
  };
  const spend = (index: number) =>
    report.send(
      `spend as the creation with ${variant?.name ?? "no access token"} (copy ${index + 1})`,
      "/v1/me/credits/spend",
      jsonInit("POST", body, asCreation(world.creationToken)),
    );
  const before = await world.userBalance(world.payer);
  const answers = await sendCopies(copies, concurrent, spend);
  const after = await world.userBalance(world.payer);
  report.note(`the payer's balance ${before} → ${after}`);
  const applied = answers.filter(
    (answer) => answer.status === 200 && answer.headers.get("idempotent-replayed") !== "true",
  ).length;
  report.expect(applied <= 1, `${applied} copies of one spend applied`);
  report.expect(before - after === SPEND * applied, `the payer paid ${before - after}`);
  const expectation = variant?.expectation ?? "refused";
  for (const answer of answers) {
    if (expectation === "accepted") {
      report.expect(answer.status === 200, `the genuine token was refused (${codeOf(answer)})`);
    } else {
      report.expect(
        answer.status >= 400 && answer.status < 500,
        `${variant?.name ?? "no token"} spent from the payer's wallet`,
      );
    }
  }
  await report.finish();
}

// ── tests ─────────────────────────────────────────────────────────────────────────────────

fuzzProperties(
  "authorization",
  "bearer credentials as clients send them",
  {
    "a tampered bearer token is refused, and whitespace never changes who the caller is":
      fc.asyncProperty(bearerArb, bearerCase),
    "only the genuine, current rat_ token of this creation spends from the user, once per reference":
      fc.asyncProperty(spendArb, spendCase),
  },
  MAX_COPIES,
);

beforeAll(() => world.setup(), SETUP_TIMEOUT_MS);
