// Property-based fuzzing of every operation in the served OpenAPI document, through the real
// Worker entry. Requests are generated from each operation's JSON Schemas and then made
// hostile: prototype keys, deep nesting, huge and empty strings, control characters, lone
// surrogates, bad percent-encodings, numbers at and past their bounds, wrong JSON types,
// unknown fields, and wrong credentials. After every case:
//   - the status is below 500, and every error is problem+json with a string `code`;
//   - a request the published schema clearly rejects, or one with bad credentials, is refused;
//   - no built-in prototype gained, lost or changed a key;
//   - GET /health still answers 200;
//   - a refused request (4xx) changed none of the watched states (wallets, the creation, the
//     subdomain, authorizations, schedules, a room).
// Each operation gets one property per family of hostility, so one bug (say, a credential
// accepted everywhere) does not hide the others on the same route.

import * as fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { api } from "../helpers.ts";
import { stripeHeader } from "../stripe-helpers.ts";
import { type Credential, INVALID_CREDENTIALS, isInvalidCredential } from "./credentials.ts";
import {
  healthBroken,
  PrototypeGuard,
  parseJson,
  preview,
  responseShapeBroken,
} from "./invariants.ts";
import {
  type BuiltRequest,
  buildRequest,
  type Operation,
  operationsOf,
  type RouteCase,
} from "./operations.ts";
import { caseArb, FAMILIES, type Family, familiesOf, wrongCredentialsFor } from "./route-cases.ts";
import { RouteWorld } from "./route-world.ts";
import { SETUP_TIMEOUT_MS, suiteBudget } from "./settings.ts";

// The document is fetched at collection time so each operation gets its own test.
const document = (await (await api("/openapi.json")).json()) as Parameters<typeof operationsOf>[0];
const operations = operationsOf(document);

/** Routes whose actors tell other actors by outbox (claims and releases reach the owner's
 * index, deposits reach a creation's wallet, Stripe events reach users), so a success may still
 * change watched state a moment later. */
const OUTBOX_ROUTES = /subdomains|registry|webhooks|deposit|billing|refunds|creations$/;

/** Fewer would mean the document fetch broke and next to nothing is fuzzed. */
const MIN_DOCUMENTED_OPERATIONS = 40;

const propertyCount = operations.reduce((sum, operation) => sum + familiesOf(operation).length, 0);
const budget = suiteBudget("routes", propertyCount);
const RUNS = budget.runs;
/** A credentials case sends one request per wrong credential, so it runs fewer cases: as many
 * requests in all as this many properties of the other families. */
const CREDENTIAL_PROPERTY_WEIGHT = 3;
const MIN_CREDENTIAL_RUNS = 2;
const runsOf = (family: Family) =>
  family === "credentials"
    ? Math.max(
        MIN_CREDENTIAL_RUNS,
        Math.round((RUNS * CREDENTIAL_PROPERTY_WEIGHT) / INVALID_CREDENTIALS.length),
      )
    : RUNS;
/** Requests one case of the family sends. */
const requestsPerCase = (operation: Operation, family: Family) =>
  family === "credentials" ? wrongCredentialsFor(operation).length : 1;

const world = new RouteWorld();
const guard = new PrototypeGuard();

// ── one case ───────────────────────────────────────────────────────────────────────────────

/** What the contract says about this answer: schema violations and bad credentials refused,
 * successes in JSON. */
function contractBroken(
  operation: Operation,
  routeCase: RouteCase,
  built: BuiltRequest,
  response: Response,
  text: string,
): string[] {
  const { status } = response;
  const broken: string[] = [];
  if (!built.addressesOperation) return broken;
  const refused = status >= 400 && status < 500;
  if (built.violations.length > 0 && !refused) {
    broken.push(`schema violation answered ${status}, not 4xx: ${built.violations.join("; ")}`);
  }
  const anonymousAllowed = operation.auth === "optional" && routeCase.credential === "none";
  if (
    operation.auth !== "public" &&
    isInvalidCredential(routeCase.credential) &&
    !anonymousAllowed &&
    status < 400
  ) {
    broken.push(`credential "${routeCase.credential}" was accepted (${status})`);
  }
  const contentType = response.headers.get("content-type") ?? "";
  const documented = operation.successMediaTypes.some((type) => contentType.startsWith(type));
  if (status >= 200 && status < 300 && status !== 204 && !documented) {
    const json = contentType.startsWith("application/json");
    if (!json || parseJson(text) === undefined) {
      broken.push(`success ${status} is not JSON (${response.headers.get("content-type")})`);
    }
  }
  return broken;
}

/** Sends one case and returns every invariant it broke, each with the request and answer. */
async function brokenBy(operation: Operation, routeCase: RouteCase): Promise<string[]> {
  // Reads are not expected to change anything; the watched states are compared around the
  // cases that may (every method but GET).
  const mutating = operation.method !== "GET";
  const before = mutating ? await world.before() : undefined;
  const signer = routeCase.stripeSigned
    ? async (text: string) => ({ "stripe-signature": await stripeHeader(text) })
    : undefined;
  const built = await buildRequest(operation, routeCase, world.tokens, signer);
  const response = await api(built.target, built.init);
  const text = await response.text();
  // First, before any other request: a polluted prototype breaks the server's own parsing.
  const polluted = guard.check();
  world.learn(text);
  const broken = [
    ...polluted,
    ...responseShapeBroken(response.status, response.headers.get("content-type"), text, {
      // Tagged "registry (seed 004)" and "billing (seed 001)".
      legacyErrorBodies: operation.tag.includes("(seed "),
    }),
    ...contractBroken(operation, routeCase, built, response, text),
    ...(await healthBroken()),
  ];
  if (mutating)
    world.record(`${operation.method} ${built.target} as ${routeCase.credential}`, response.status);
  if (before && response.status >= 400 && response.status < 500) {
    broken.push(...(await world.changedSince(before)));
  } else if (mutating) {
    world.markDirty(OUTBOX_ROUTES.test(operation.path));
  }
  if (broken.length === 0) return [];
  return [
    `${operation.method} ${preview(built.target, 200)} as ${routeCase.credential}` +
      (built.bodyText ? ` with body ${preview(built.bodyText, 200)}` : ""),
    `answered ${response.status} ${response.headers.get("content-type")}: ${preview(text, 400)}`,
    ...broken.map((line) => `  ✗ ${line}`),
  ];
}

async function runCase(operation: Operation, family: Family, routeCase: RouteCase) {
  // Every wrong credential on the same request: one accepted credential must not hide another.
  const credentials: Credential[] =
    family === "credentials" ? wrongCredentialsFor(operation) : [routeCase.credential];
  const broken: string[] = [];
  for (const credential of credentials) {
    broken.push(...(await brokenBy(operation, { ...routeCase, credential })));
  }
  if (broken.length > 0) throw new Error(broken.join("\n"));
}

// ── tests ─────────────────────────────────────────────────────────────────────────────────

beforeAll(() => world.setup(), SETUP_TIMEOUT_MS);

afterAll(() => {
  // Refused cases whose state comparison a background deadline made inconclusive are counted,
  // not hidden: a large share would mean the watched states are not watched.
  console.log(
    `route fuzz: ${RUNS} runs per property, state observation ${JSON.stringify(world.stats)}`,
  );
});

it("fuzzes every operation of the OpenAPI document", () => {
  // A broken document fetch would otherwise fuzz nothing and pass.
  expect(operations.length).toBeGreaterThan(MIN_DOCUMENTED_OPERATIONS);
  for (const operation of operations) expect(familiesOf(operation).length).toBeGreaterThan(0);
});

for (const operation of operations) {
  describe(`${operation.method} ${operation.path} (${operation.operationId})`, () => {
    for (const family of familiesOf(operation)) {
      it(
        FAMILIES[family],
        async () => {
          await fc.assert(
            fc.asyncProperty(
              caseArb(operation, family, (name) => world.known(name)),
              (routeCase) => runCase(operation, family, routeCase),
            ),
            budget.parameters(runsOf(family)),
          );
        },
        budget.timeout(runsOf(family) * requestsPerCase(operation, family)),
      );
    }
  });
}
