// Property-based fuzzing of POST /v1/dev/sign-in, which mints a user JWT for any user id while
// the DEV_SIGN_IN var is "true". The test bindings keep it off (wrangler.jsonc's "false"), so
// through the Worker every request must get exactly what a route that does not exist gets;
// with the var on (the same routes built with it, as test/room-dev-sign-in.test.ts does):
//   - 201 exactly for a JSON body { user_id, email? } whose values are valid, with a token for
//     that user id and email, no role, the documented lifetime, that the API accepts as that
//     user and nobody else;
//   - any other body (hostile fields, extra fields such as role or admin, prototype keys,
//     wrong types and content types, broken and huge JSON) is a 4xx;
// plus what every fuzz answer holds (no 5xx, problem+json errors, prototypes untouched,
// /health up).

import { env } from "cloudflare:workers";
import * as fc from "fast-check";
import { jwtVerify } from "jose";
import * as v from "valibot";
import { afterAll, beforeAll, expect } from "vitest";
import { createApp } from "../../src/router/app.ts";
import { apiRoutes } from "../../src/router/routes/index.ts";
import { EmailSchema, UserIdSchema } from "../../src/shared/ids.ts";
import {
  DEV_SIGN_IN_TOKEN_TTL_SECONDS,
  EMAIL_MAX_LENGTH,
  USER_ID_MAX_LENGTH,
} from "../../src/shared/limits.ts";
import { bearer, ORIGIN } from "../helpers.ts";
import {
  type CaseOf,
  CaseReport,
  codeOf,
  type Fetcher,
  fuzzProperties,
  refused,
} from "./exchange.ts";
import { CONTENT_TYPES, HOSTILE_BODIES, LONE_SURROGATES, PROTOTYPE_PAYLOADS } from "./hostile.ts";
import { PrototypeGuard } from "./invariants.ts";
import { Entries, type JsonLike, jsonText, LongString, type RawJson } from "./json-text.ts";
import { SETUP_TIMEOUT_MS } from "./settings.ts";

const guard = new PrototypeGuard();
const PATH = "/v1/dev/sign-in";
/** A POST to a path no route has: what the disabled sign-in must be indistinguishable from. */
const UNKNOWN_PATH = "/v1/dev/nothing-here";

const app = createApp(apiRoutes);
/** The Worker's routes with DEV_SIGN_IN on. */
const signInOn: Fetcher = async (target, init) =>
  app.fetch(new Request(`${ORIGIN}${target}`, init), { ...env, DEV_SIGN_IN: "true" });

// ── bodies ────────────────────────────────────────────────────────────────────────────────

const WRONG_TYPES: readonly JsonLike[] = [null, true, 7, [], new Entries([])];

const userIdArb = fc.oneof(
  { weight: 4, arbitrary: fc.stringMatching(/^[\x21-\x7e]{1,24}$/) as fc.Arbitrary<JsonLike> },
  {
    weight: 2,
    arbitrary: fc.constantFrom<JsonLike>(
      "__proto__",
      "constructor",
      "admin",
      "%00",
      new LongString("u", USER_ID_MAX_LENGTH),
    ),
  },
  {
    weight: 2,
    arbitrary: fc.constantFrom<JsonLike>(
      "",
      " ann",
      "a b",
      "\u00e9",
      "ann\u0000",
      ...LONE_SURROGATES,
      new LongString("u", USER_ID_MAX_LENGTH + 1),
      ...WRONG_TYPES,
    ),
  },
);

const emailArb = fc.oneof(
  {
    weight: 3,
    arbitrary: fc.constantFrom<JsonLike>(
      "ann@example.com",
      "ANN@Example.COM",
      "a.b+tag@sub.example.org",
    ),
  },
  { weight: 1, arbitrary: fc.emailAddress({ size: "xsmall" }) as fc.Arbitrary<JsonLike> },
  {
    weight: 2,
    arbitrary: fc.constantFrom<JsonLike>(
      "",
      "not-an-email",
      "ann@",
      "ann@example.com\u0000",
      LONE_SURROGATES[0] as RawJson,
      new LongString("e", EMAIL_MAX_LENGTH + 1),
      ...WRONG_TYPES,
    ),
  },
);

/** Fields the route does not take: each must make the body a 4xx. */
const EXTRA_FIELDS: readonly (readonly [string, JsonLike])[] = [
  ["role", "admin"],
  ["admin", true],
  ["sub", "root"],
  ["exp", 4_102_444_800],
  ["constructor", new Entries([["prototype", new Entries([["polluted", "yes"]])]])],
  ["prototype", new Entries([["role", "admin"]])],
  ["toString", "x"],
  ...PROTOTYPE_PAYLOADS.map((payload) => payload.entries[0] as readonly [string, JsonLike]),
];

/** A body as generated: structured (and judged), or a hostile document. */
const bodyArb = fc.oneof(
  {
    weight: 4,
    arbitrary: fc
      .record({
        userId: fc.option(userIdArb, { nil: undefined, freq: 8 }),
        email: fc.option(emailArb, { nil: undefined, freq: 2 }),
        extra: fc.oneof(
          { weight: 3, arbitrary: fc.constant(undefined) },
          { weight: 1, arbitrary: fc.constantFrom(...EXTRA_FIELDS) },
        ),
      })
      .map(({ userId, email, extra }) => {
        const entries: [string, JsonLike][] = [];
        if (userId !== undefined) entries.push(["user_id", userId]);
        if (email !== undefined) entries.push(["email", email]);
        if (extra !== undefined) entries.push([extra[0], extra[1]]);
        return { value: new Entries(entries) as JsonLike, userId, email, extra };
      }),
  },
  {
    weight: 1,
    arbitrary: fc.constantFrom(...HOSTILE_BODIES).map((value) => ({
      value: value as JsonLike,
      userId: undefined,
      email: undefined,
      extra: undefined,
    })),
  },
);

const signInArb = fc.record({
  body: bodyArb,
  contentType: fc.oneof(
    { weight: 4, arbitrary: fc.constant(CONTENT_TYPES[0] as (typeof CONTENT_TYPES)[number]) },
    { weight: 1, arbitrary: fc.constantFrom(...CONTENT_TYPES) },
  ),
  credential: fc.constantFrom("none", "a user's bearer token", "a garbage bearer token"),
});

type SignIn = CaseOf<typeof signInArb>;

/** The value as JSON.parse gives it: the last of a repeated key, strings decoded. */
const plain = (value: JsonLike | undefined): unknown =>
  value === undefined ? undefined : JSON.parse(jsonText(value));

async function requestOf({ body, contentType, credential }: SignIn): Promise<RequestInit> {
  const headers: Record<string, string> = {
    ...(contentType.type ? { "content-type": contentType.type } : {}),
    ...(credential === "a user's bearer token" ? await bearer({ sub: "dev-fuzz-caller" }) : {}),
    ...(credential === "a garbage bearer token" ? { authorization: "Bearer not-a-token" } : {}),
  };
  return { method: "POST", headers, body: jsonText(body.value) };
}

// ── 1: off ────────────────────────────────────────────────────────────────────────────────

async function disabledCase(generated: SignIn) {
  const report = new CaseReport(guard);
  const init = await requestOf(generated);
  const answer = await report.send("sign-in while DEV_SIGN_IN is off", PATH, init);
  const unknown = await report.send("the same to a path no route has", UNKNOWN_PATH, init);
  const detail = (text: unknown) => String(text).replace(UNKNOWN_PATH, PATH);
  report.expect(
    answer.status === unknown.status &&
      codeOf(answer) === codeOf(unknown) &&
      answer.json?.detail === detail(unknown.json?.detail),
    `the disabled sign-in answered ${answer.status} ${codeOf(answer)}, a missing route ${unknown.status} ${codeOf(unknown)}`,
  );
  report.expect(answer.status !== 201, "the disabled sign-in minted a token");
  await report.finish();
}

// ── 2: on ─────────────────────────────────────────────────────────────────────────────────

/** What the enabled sign-ins came to, printed after the run: a property that never mints a
 * token would test only refusals. */
const stats = { signIns: 0, minted: 0 };

async function enabledCase(generated: SignIn) {
  const report = new CaseReport(guard);
  const { body, contentType } = generated;
  const answer = await report.send(
    "sign-in with DEV_SIGN_IN on",
    PATH,
    await requestOf(generated),
    signInOn,
  );
  stats.signIns++;
  if (answer.status === 201) stats.minted++;
  const userId = plain(body.userId);
  const email = plain(body.email);
  const wellFormed =
    body.extra === undefined &&
    v.is(UserIdSchema, userId) &&
    (email === undefined || v.is(EmailSchema, email));
  const readAsJson = contentType.refused === false;
  if (!wellFormed || contentType.refused === true) {
    report.expect(
      refused(answer),
      `a body that is not { user_id, email? } answered ${answer.status}`,
    );
  } else if (readAsJson) {
    report.expect(answer.status === 201, `a well-formed sign-in answered ${answer.status}`);
  }
  if (answer.status === 201) {
    const token = String(answer.json?.token);
    let claims: Record<string, unknown> = {};
    try {
      ({ payload: claims } = await jwtVerify(token, new TextEncoder().encode(env.AUTH_JWT_SECRET), {
        algorithms: ["HS256"],
      }));
    } catch (error) {
      report.expect(false, `the minted token does not verify: ${String(error)}`);
    }
    report.expect(
      claims.sub === userId &&
        answer.json?.user_id === userId &&
        claims.email === email &&
        claims.role === undefined &&
        Number(claims.exp) - Number(claims.iat) === DEV_SIGN_IN_TOKEN_TTL_SECONDS,
      `minted ${JSON.stringify(claims)} for user_id ${JSON.stringify(userId)}, email ${JSON.stringify(email)}`,
    );
    const me = await report.send("the minted token on GET /v1/me", "/v1/me", {
      headers: { authorization: `Bearer ${token}` },
    });
    report.expect(
      me.status === 200 && me.json?.id === userId && me.json?.admin === false,
      `the API took the minted token as ${me.text.slice(0, 200)}`,
    );
  }
  await report.finish();
}

// ── tests ─────────────────────────────────────────────────────────────────────────────────

const budget = fuzzProperties(
  "dev sign-in",
  "POST /v1/dev/sign-in with hostile bodies",
  {
    "while DEV_SIGN_IN is off, any request gets what a route that does not exist gets":
      fc.asyncProperty(signInArb, disabledCase),
    "with DEV_SIGN_IN on, 201 exactly for a valid { user_id, email? }, with a token for that user only":
      fc.asyncProperty(signInArb, enabledCase),
    // Two requests a case (the sign-in and its comparison or its token's use).
  },
  2,
);

beforeAll(() => {
  // The first property tests the Worker as the test bindings configure it: sign-in off.
  expect(env.DEV_SIGN_IN).toBe("false");
}, SETUP_TIMEOUT_MS);

afterAll(() =>
  console.log(`dev sign-in fuzz: ${budget.runs} runs per property, ${JSON.stringify(stats)}`),
);
