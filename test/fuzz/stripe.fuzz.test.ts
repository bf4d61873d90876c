// Property-based fuzzing of POST /v1/webhooks/stripe past its signature check: event bodies
// correctly signed with test/stripe-helpers.ts (so the handlers run) with hostile ids, types,
// `created` values and metadata (prototype keys, wrong types, huge amounts, lone surrogates),
// each delivered once or redelivered (in sequence or all at once); and the Stripe-Signature
// header itself, malformed, stale, forged. After every case:
//   - only a genuine, fresh Stripe-Signature gets an event heard (else 400
//     INVALID_STRIPE_SIGNATURE and nothing applied);
//   - a signed event the router's JSON rules and StripeEventSchema accept is acknowledged with
//     200 { received, applied, replayed | reason } and nothing else; any other is a 4xx;
//   - a payment with a valid account and amount and an event id never seen is applied, once:
//     redeliveries say replayed, and the watched wallets move by exactly the amounts of the
//     acknowledgements that applied something;
// plus what every fuzz answer holds (no 5xx, problem+json errors, prototypes untouched,
// /health up).

import { env } from "cloudflare:workers";
import * as fc from "fast-check";
import { afterAll, beforeAll } from "vitest";
import { clock } from "../../src/shared/clock.ts";
import {
  JSON_MAX_DEPTH,
  STRIPE_EVENT_ID_MAX_LENGTH,
  STRIPE_SIGNATURE_TOLERANCE_SECONDS,
  USER_ID_MAX_LENGTH,
} from "../../src/shared/limits.ts";
import { stripeHeader } from "../stripe-helpers.ts";
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
import {
  deepObject,
  HOSTILE_HEADER_VALUES,
  headerLabel,
  headerText,
  LONE_SURROGATES,
  PROTOTYPE_PAYLOADS,
} from "./hostile.ts";
import { PrototypeGuard } from "./invariants.ts";
import { Entries, type JsonLike, jsonText, LongString, RawJson } from "./json-text.ts";
import { SETUP_TIMEOUT_MS } from "./settings.ts";

const world = new EdgeWorld("stripe");
const guard = new PrototypeGuard();
/** Stand for an event id no earlier case used (plain, and as long as ids may be), and for the
 * watched creation's id. */
const FRESH_ID = "$fresh-event-id$";
const FRESH_LONGEST_ID = "$fresh-longest-event-id$";
const CREATION = "$creation-id$";
/** Redeliveries of one event. */
const MAX_COPIES = 4;
/** Seconds inside and outside Stripe's signature tolerance. */
const WINDOW_MARGIN_SECONDS = 5;
/** The most `amount` metadata can say: twelve digits. */
const MAX_METADATA_AMOUNT = "999999999999";
const PAYMENT = "payment_intent.succeeded";
const HANDLED_TYPES = [
  PAYMENT,
  "customer.subscription.created",
  "customer.subscription.updated",
  "customer.subscription.deleted",
] as const;

/** Where a payment's metadata sends the money: a watched wallet, another valid account, none. */
type Target = "watched" | "unwatched" | "none";

// ── event parts ───────────────────────────────────────────────────────────────────────────
// Every part is hostile but inside StripeEventSchema and the router's JSON rules, so the
// handlers run; now and then one `breaker` puts the event outside them (a 4xx).

const WRONG_TYPES: readonly JsonLike[] = [null, true, 7, [], new Entries([])];

const idArb = fc.oneof(
  { weight: 6, arbitrary: fc.constant<JsonLike>(FRESH_ID) },
  { weight: 1, arbitrary: fc.constant<JsonLike>(FRESH_LONGEST_ID) },
  {
    weight: 2,
    arbitrary: fc.constantFrom<JsonLike>(
      "__proto__",
      "constructor",
      "evt_1",
      "a b",
      "%ED%A0%80",
      ...LONE_SURROGATES,
    ),
  },
);

/** Types a handler table looked up through its prototype would "handle" (findings.test.ts). */
const PROTOTYPE_MEMBER_TYPES = [
  "__proto__",
  "constructor",
  "toString",
  "valueOf",
  "hasOwnProperty",
];

const typeArb = fc.oneof(
  { weight: 6, arbitrary: fc.constant<JsonLike>(PAYMENT) },
  { weight: 3, arbitrary: fc.constantFrom<JsonLike>(...HANDLED_TYPES) },
  {
    weight: 2,
    arbitrary: fc.constantFrom<JsonLike>(
      "invoice.paid",
      ...PROTOTYPE_MEMBER_TYPES,
      "",
      ` ${PAYMENT}`,
      PAYMENT.toUpperCase(),
      `${PAYMENT}\u0000`,
      "%70ayment_intent.succeeded",
      ...LONE_SURROGATES,
      new LongString("t", STRIPE_EVENT_ID_MAX_LENGTH + 1),
    ),
  },
);

const createdArb = fc.oneof(
  { weight: 4, arbitrary: fc.constant<JsonLike | undefined>(undefined) },
  { weight: 4, arbitrary: fc.integer({ min: 0, max: 4_102_444_800 }) },
  { weight: 2, arbitrary: fc.constantFrom<JsonLike>(-1, 0, 1.5, -0, 2 ** 53, 1e308, -1e308, 1e-7) },
);

interface Account {
  readonly entries: readonly (readonly [string, JsonLike])[];
  readonly target: Target;
}

const PAYER = "$payer$";
/** Valid user ids that name nobody this file watches: prototype words. */
const UNWATCHED_USERS = ["__proto__", "constructor", "toString"] as const;
const INVALID_USER_IDS: readonly JsonLike[] = [
  "",
  "a b",
  "\u00e9",
  ...LONE_SURROGATES,
  new LongString("u", USER_ID_MAX_LENGTH + 1),
  ...WRONG_TYPES,
];
const INVALID_CREATION_IDS: readonly JsonLike[] = [
  "not-a-uuid",
  "",
  // Valid UUIDs of no creation: the payment cannot land anywhere.
  "00000000-0000-4000-8000-000000000000",
  CREATION.toUpperCase(),
  ...WRONG_TYPES,
];

const accountArb: fc.Arbitrary<Account> = fc.oneof(
  fc.constant<Account>({ entries: [["user_id", PAYER]], target: "watched" }),
  fc.constant<Account>({ entries: [["creation_id", CREATION]], target: "watched" }),
  fc.constant<Account>({
    entries: [
      ["user_id", PAYER],
      ["creation_id", CREATION],
    ],
    target: "watched",
  }),
  fc
    .constantFrom(...UNWATCHED_USERS)
    .map((id): Account => ({ entries: [["user_id", id]], target: "unwatched" })),
  fc.tuple(fc.constantFrom(...INVALID_USER_IDS), fc.constantFrom(...INVALID_CREATION_IDS)).map(
    ([user, creation]): Account => ({
      entries: [
        ["user_id", user],
        ["creation_id", creation],
      ],
      target: "none",
    }),
  ),
  fc.constant<Account>({ entries: [], target: "none" }),
);

/** `amount` metadata: credits as a decimal string without leading zeros. */
const amountArb = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.integer({ min: 1, max: 9_999 }).map((n) => ({ value: String(n), credits: n })),
  },
  {
    weight: 1,
    arbitrary: fc.constant({ value: MAX_METADATA_AMOUNT, credits: Number(MAX_METADATA_AMOUNT) }),
  },
  {
    weight: 3,
    arbitrary: fc
      .constantFrom<JsonLike | undefined>(
        "0",
        "-1",
        "1e3",
        "07",
        " 7",
        "7 ",
        "7.0",
        "\uff11",
        `${MAX_METADATA_AMOUNT}9`,
        new LongString("9", 1_000),
        LONE_SURROGATES[0],
        7,
        undefined,
        ...WRONG_TYPES,
      )
      .map((value) => ({ value, credits: undefined })),
  },
);

/** Keys nobody declared that pass the JSON rules: prototype words other than `__proto__`. */
const extrasArb = fc.oneof(
  { weight: 4, arbitrary: fc.constant<(readonly [string, JsonLike])[]>([]) },
  {
    weight: 1,
    arbitrary: fc
      .constantFrom<readonly [string, JsonLike]>(
        ["constructor", new Entries([["prototype", new Entries([["polluted", "yes"]])]])],
        ["prototype", new Entries([["polluted", "yes"]])],
        ["toString", "x"],
        ["hasOwnProperty", 1],
      )
      .map((entry) => [entry]),
  },
);

const metadataArb = fc.oneof(
  {
    weight: 8,
    arbitrary: fc
      .record({
        account: accountArb,
        amount: amountArb,
        plan: fc.option(fc.constantFrom<JsonLike>("starter", "pro", "__proto__", "", "PRO", 7), {
          nil: undefined,
        }),
        extras: extrasArb,
      })
      .map(({ account, amount, plan, extras }) => ({
        value: new Entries([
          ...account.entries,
          ...(amount.value === undefined ? [] : [["amount", amount.value] as const]),
          ...(plan === undefined ? [] : [["plan", plan] as const]),
          ...extras,
        ]) as JsonLike,
        target: account.target,
        credits: amount.credits,
      })),
  },
  {
    weight: 1,
    arbitrary: fc
      .constantFrom<JsonLike | undefined>(
        undefined,
        null,
        "str",
        [],
        [new Entries([["user_id", PAYER]])],
      )
      .map((value) => ({ value, target: "none" as Target, credits: undefined })),
  },
);

/** What puts an event outside StripeEventSchema or the router's JSON rules. */
class Breaker {
  constructor(
    readonly name: string,
    readonly apply: (event: Entries) => Entries,
  ) {}
  [fc.toStringMethod](): string {
    return this.name;
  }
}

/** The event with `key` set to `value` (undefined: taken out). */
const withField = (key: string, value: JsonLike | undefined) => (event: Entries) =>
  new Entries([
    ...event.entries.filter(([name]) => name !== key),
    ...(value === undefined ? [] : [[key, value] as const]),
  ]);

const BREAKERS: readonly Breaker[] = [
  ...[undefined, "", new LongString("e", STRIPE_EVENT_ID_MAX_LENGTH + 1), ...WRONG_TYPES].map(
    (id) => new Breaker(`id ${fc.stringify(id)}`, withField("id", id)),
  ),
  ...[undefined, ...WRONG_TYPES].map(
    (type) => new Breaker(`type ${fc.stringify(type)}`, withField("type", type)),
  ),
  ...[new RawJson("1e309", "1e309", "number"), "1700000000", null, [], new Entries([])].map(
    (created) => new Breaker(`created ${fc.stringify(created)}`, withField("created", created)),
  ),
  ...[undefined, null, "str", [], 7].map(
    (object) =>
      new Breaker(
        `data.object ${fc.stringify(object)}`,
        withField(
          "data",
          object === undefined ? new Entries([]) : new Entries([["object", object]]),
        ),
      ),
  ),
  ...PROTOTYPE_PAYLOADS.filter((payload) => payload.entries[0]?.[0] === "__proto__").map(
    (payload) =>
      new Breaker(
        `a __proto__ key: ${fc.stringify(payload)}`,
        (event) => new Entries([...event.entries, ...payload.entries]),
      ),
  ),
  new Breaker("data.object.metadata a __proto__ key deep inside", (event) =>
    withField(
      "data",
      new Entries([
        [
          "object",
          new Entries([["metadata", new Entries([["nested", PROTOTYPE_PAYLOADS[0] as Entries]])]]),
        ],
      ]),
    )(event),
  ),
  new Breaker(`metadata nested deeper than ${JSON_MAX_DEPTH}`, (event) =>
    withField(
      "data",
      new Entries([["object", new Entries([["metadata", deepObject(JSON_MAX_DEPTH + 1)]])]]),
    )(event),
  ),
];

const eventArb = fc.record({
  id: idArb,
  type: typeArb,
  created: createdArb,
  objectId: fc.option(
    fc.constantFrom<JsonLike>("pi_123", "__proto__", LONE_SURROGATES[0] as RawJson, 7),
    { nil: undefined },
  ),
  metadata: metadataArb,
  extras: extrasArb,
  breaker: fc.oneof(
    { weight: 5, arbitrary: fc.constant(undefined) },
    { weight: 1, arbitrary: fc.constantFrom(...BREAKERS) },
  ),
});

type Event = CaseOf<typeof eventArb>;

/** The event as signed and sent, with its placeholders filled in. */
function eventText(event: Event, id: string): string {
  const longest = id.padStart(STRIPE_EVENT_ID_MAX_LENGTH, "e");
  const object = new Entries([
    ...(event.objectId === undefined ? [] : [["id", event.objectId] as const]),
    ...(event.metadata.value === undefined ? [] : [["metadata", event.metadata.value] as const]),
  ]);
  const built = new Entries([
    ["id", event.id],
    ["type", event.type],
    ...(event.created === undefined ? [] : [["created", event.created] as const]),
    ["data", new Entries([["object", object]])],
    ...event.extras,
  ]);
  return jsonText(event.breaker ? event.breaker.apply(built) : built)
    .replaceAll(FRESH_LONGEST_ID, longest)
    .replaceAll(FRESH_ID, id)
    .replaceAll(CREATION.toUpperCase(), world.creationId.toUpperCase())
    .replaceAll(CREATION, world.creationId)
    .replaceAll(PAYER, world.payer);
}

const deliver = (report: CaseReport, what: string, text: string, signature?: string) =>
  report.send(what, "/v1/webhooks/stripe", {
    method: "POST",
    headers: {
      "content-type": "application/json",
      ...(signature === undefined ? {} : { "stripe-signature": signature }),
    },
    body: text,
  });

const ACK_KEYS = new Set(["received", "applied", "replayed", "reason"]);

/** A 200 must be the acknowledgement Stripe reads, and nothing more. */
function ackBroken(report: CaseReport, answer: Answer): void {
  if (answer.status !== 200) return;
  const ack = answer.json ?? {};
  const extra = Object.keys(ack).filter((key) => !ACK_KEYS.has(key));
  report.expect(
    ack.received === true &&
      extra.length === 0 &&
      (ack.applied === true
        ? typeof ack.replayed === "boolean"
        : ack.applied === false && typeof ack.reason === "string"),
    `not a Stripe acknowledgement: ${answer.text.slice(0, 300)}`,
  );
}

const appliedFresh = (answer: Answer) =>
  answer.status === 200 && answer.json?.applied === true && answer.json?.replayed === false;

/** The watched wallets together: the payer's and the creation's. */
const watchedTotal = async () =>
  (await world.userBalance(world.payer)) + (await world.creationBalance());

// ── 1: hostile events, correctly signed ───────────────────────────────────────────────────

/** What the deliveries came to, printed after the run: a property whose events all bounce
 * off the schema would test no handler. */
const stats = { deliveries: 0, refused: 0, applied: 0 };

const redeliveryArb = fc.record({
  event: eventArb,
  copies: fc.integer({ min: 1, max: MAX_COPIES }),
  concurrent: fc.boolean(),
});

async function eventCase({ event, copies, concurrent }: CaseOf<typeof redeliveryArb>) {
  const report = new CaseReport(guard);
  const text = eventText(event, fresh("evt_fuzz_"));
  const send = async (index: number) =>
    deliver(report, `delivery ${index + 1}`, text, await stripeHeader(text));
  const before = await watchedTotal();
  const answers = await sendCopies(copies, concurrent, send);
  const moved = (await watchedTotal()) - before;
  stats.deliveries += answers.length;
  stats.refused += answers.filter((answer) => answer.status !== 200).length;
  stats.applied += answers.filter(appliedFresh).length;
  const bodyValid = event.breaker === undefined;
  const applied = answers.filter(appliedFresh);
  const { target, credits: amount } = event.metadata;
  for (const answer of answers) {
    ackBroken(report, answer);
    report.expect(
      bodyValid ? answer.status === 200 : answer.status >= 400 && answer.status < 500,
      bodyValid
        ? `a signed event within the schema answered ${answer.status}`
        : `a signed event outside the schema answered ${answer.status}`,
    );
  }
  report.expect(applied.length <= 1, `${applied.length} deliveries of one event applied it`);
  const payment = event.type === PAYMENT && bodyValid && amount !== undefined;
  const neverSeen = event.id === FRESH_ID || event.id === FRESH_LONGEST_ID;
  if (payment && target !== "none" && neverSeen) {
    report.expect(applied.length === 1, "a valid payment with a new event id was not applied");
    report.expect(
      answers.every((answer) => answer === applied[0] || answer.json?.replayed === true),
      "a redelivered payment was not answered as a replay",
    );
  }
  if (event.type === PAYMENT && (target === "none" || amount === undefined)) {
    report.expect(applied.length === 0, "a payment without a valid account and amount applied");
  }
  const expected = payment && target === "watched" && applied.length === 1 ? (amount as number) : 0;
  report.note(`watched wallets moved by ${moved}`);
  report.expect(
    moved === expected,
    `the watched wallets moved by ${moved}, where the acknowledgements applied ${expected}`,
  );
  await report.finish();
}

// ── 2: the Stripe-Signature header ────────────────────────────────────────────────────────

type Expectation = "accepted" | "refused" | "either";

class SignatureVariant {
  constructor(
    readonly name: string,
    readonly expectation: Expectation,
    readonly header: (body: string, now: number) => Promise<string | undefined>,
  ) {}
  [fc.toStringMethod](): string {
    return this.name;
  }
}

const signed = (body: string, at: number, secret?: string) =>
  stripeHeader(body, { at, ...(secret ? { secret } : {}) });
/** The genuine header with its v1 changed by `change`. */
const withV1 = (name: string, expectation: Expectation, change: (v1: string) => string) =>
  new SignatureVariant(name, expectation, async (body, now) => {
    const header = await signed(body, now);
    return header.replace(/v1=([0-9a-f]+)/, (_, v1: string) => `v1=${change(v1)}`);
  });

const STRIPE_SIGNATURES: readonly SignatureVariant[] = [
  new SignatureVariant("genuine", "accepted", signed),
  new SignatureVariant("signed inside the window", "accepted", (body, now) =>
    signed(body, now - STRIPE_SIGNATURE_TOLERANCE_SECONDS + WINDOW_MARGIN_SECONDS),
  ),
  new SignatureVariant("signed too long ago", "refused", (body, now) =>
    signed(body, now - STRIPE_SIGNATURE_TOLERANCE_SECONDS - WINDOW_MARGIN_SECONDS),
  ),
  new SignatureVariant("signed in the future", "refused", (body, now) =>
    signed(body, now + STRIPE_SIGNATURE_TOLERANCE_SECONDS + WINDOW_MARGIN_SECONDS),
  ),
  new SignatureVariant("signed with another secret", "refused", (body, now) =>
    signed(body, now, "whsec_not_the_secret"),
  ),
  new SignatureVariant("signature of another body", "refused", (body, now) =>
    signed(`${body} `, now),
  ),
  new SignatureVariant("a wrong v1 first, then the genuine one", "accepted", async (body, now) => {
    const genuine = await signed(body, now);
    return genuine.replace("v1=", `v1=${"0".repeat(64)},v1=`);
  }),
  new SignatureVariant("v1 first, then t", "either", async (body, now) => {
    const [t, v1] = (await signed(body, now)).split(",");
    return `${v1},${t}`;
  }),
  new SignatureVariant("spaces after the commas", "either", async (body, now) =>
    (await signed(body, now)).replace(",", ", "),
  ),
  new SignatureVariant(
    "t twice, the first one stale",
    "either",
    async (body, now) =>
      `t=${now - STRIPE_SIGNATURE_TOLERANCE_SECONDS * 2},${await signed(body, now)}`,
  ),
  new SignatureVariant("no t", "refused", async (body, now) =>
    (await signed(body, now)).replace(/^t=\d+,/, ""),
  ),
  new SignatureVariant("no v1", "refused", async (_body, now) => `t=${now}`),
  new SignatureVariant("v0 instead of v1", "refused", async (body, now) =>
    (await signed(body, now)).replace("v1=", "v0="),
  ),
  new SignatureVariant("t with thirteen digits", "refused", async (body, now) =>
    (await signed(body, now)).replace(/^t=/, "t=000"),
  ),
  new SignatureVariant("no header", "refused", async () => undefined),
  withV1("hex in upper case", "either", (v1) => v1.toUpperCase()),
  withV1("v1 one byte short", "refused", (v1) => v1.slice(0, -2)),
  withV1(
    "v1 one digit changed",
    "refused",
    (v1) => `${v1.slice(0, -1)}${v1.endsWith("0") ? "1" : "0"}`,
  ),
  withV1("v1 empty", "refused", () => ""),
  withV1("v1 huge", "refused", (v1) => v1.repeat(1_000)),
  ...HOSTILE_HEADER_VALUES.map(
    (value) =>
      new SignatureVariant(`header ${headerLabel(value)}`, "refused", async () =>
        headerText(value),
      ),
  ),
];

const signatureArb = fc.record({
  variant: fc.constantFrom(...STRIPE_SIGNATURES),
  amount: fc.integer({ min: 1, max: 9_999 }),
});

async function signatureCase({ variant, amount }: CaseOf<typeof signatureArb>) {
  const report = new CaseReport(guard);
  const text = JSON.stringify({
    id: fresh("evt_sig_"),
    type: PAYMENT,
    data: { object: { metadata: { creation_id: world.creationId, amount: String(amount) } } },
  });
  const header = await variant.header(text, Math.floor(clock.now() / 1000));
  const before = await watchedTotal();
  const answer = await deliver(report, variant.name, text, header);
  const moved = (await watchedTotal()) - before;
  ackBroken(report, answer);
  if (variant.expectation === "accepted") {
    report.expect(appliedFresh(answer), `a genuine signature (${variant.name}) was not heard`);
  }
  if (variant.expectation === "refused") {
    report.expect(
      answer.status === 400 && codeOf(answer) === "INVALID_STRIPE_SIGNATURE",
      `${variant.name} was not refused as INVALID_STRIPE_SIGNATURE`,
    );
  }
  report.expect(
    moved === (appliedFresh(answer) ? amount : 0),
    `the creation's wallet moved by ${moved} on a ${answer.status}`,
  );
  await report.finish();
}

// ── tests ─────────────────────────────────────────────────────────────────────────────────

const budget = fuzzProperties(
  "stripe",
  "Stripe webhook: signed hostile events and the signature header",
  {
    "a signed event is acknowledged or refused, never 5xx, and a payment is applied once however often it is redelivered":
      fc.asyncProperty(redeliveryArb, eventCase),
    "only a genuine, fresh Stripe-Signature gets an event heard": fc.asyncProperty(
      signatureArb,
      signatureCase,
    ),
  },
  MAX_COPIES,
);

beforeAll(async () => {
  // The webhook verifies with this secret; a run against another would only test refusals.
  if (!env.STRIPE_WEBHOOK_SECRET) throw new Error("STRIPE_WEBHOOK_SECRET is not bound");
  await world.setup();
}, SETUP_TIMEOUT_MS);

afterAll(() =>
  console.log(`stripe fuzz: ${budget.runs} runs per property, ${JSON.stringify(stats)}`),
);
