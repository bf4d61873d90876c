// The frames the room fuzzer sends: one arbitrary per family of client frame, built from
// hostile paths, values, ids and extra keys, plus raw text, binary and oversized frames.

import * as fc from "fast-check";
import {
  ROOM_CHAT_MAX_CHARS,
  ROOM_FRAME_MAX_BYTES,
  ROOM_PATCH_ID_MAX_CHARS,
  ROOM_PATCH_OPS_MAX,
  ROOM_PRESENCE_MAX_BYTES,
  ROOM_TIMER_MAX_SECONDS,
} from "../../src/shared/limits.ts";
import {
  boundaryNumbers,
  CONTROL_STRINGS,
  DEEP_NESTING,
  deepArray,
  deepObject,
  LONE_SURROGATES,
  MALFORMED_ROOM_PATHS,
  nastyString,
  ODD_STRINGS,
  PLAIN_ROOM_PATHS,
  POLLUTION_CANARY,
  PROTOTYPE_PAYLOADS,
  PROTOTYPE_ROOM_PATHS,
} from "./hostile.ts";
import { Entries, type JsonLike, jsonText, LongString } from "./json-text.ts";
import type { Who } from "./room-session.ts";

/** Stands for the connection's own user id in generated paths (`/users/$self/x`). */
export const SELF = "$self";
/** A user id frames claim to act as (the room must ignore identity a client claims). */
export const FORGED_USER_ID = "frames-owner";
/** The longest timer name (TimerNameSchema's pattern in src/shared/schemas/room.ts). */
const TIMER_NAME_MAX_CHARS = 64;
/** An array this deep is twice as many bytes of brackets: a patch of it still fits in one
 * frame (ROOM_FRAME_MAX_BYTES), so the room's own depth rules must refuse it; DEEP_NESTING
 * does not fit. */
const FRAME_FITTING_DEPTH = ROOM_FRAME_MAX_BYTES / 2 - 1_000;

// ── frames as generated ────────────────────────────────────────────────────────────────────

/** A frame to send: JSON (possibly hostile), raw text, or binary. */
export type OutgoingFrame =
  | { readonly kind: "json"; readonly value: JsonLike }
  | { readonly kind: "text"; readonly text: string | LongString }
  | { readonly kind: "binary"; readonly bytes: Uint8Array };

export interface FrameCase {
  readonly who: Who;
  readonly frame: OutgoingFrame;
}

const json = (value: JsonLike): OutgoingFrame => ({ kind: "json", value });

/** Builds an object from entries, leaving out the undefined ones (a missing field). */
const object = (...entries: (readonly [string, JsonLike | undefined])[]) =>
  new Entries(entries.filter((entry): entry is [string, JsonLike] => entry[1] !== undefined));

/** Sometimes adds keys the frame type does not have: forged identity, prototype keys. */
const withExtras = (frame: fc.Arbitrary<Entries>) =>
  fc
    .tuple(
      frame,
      fc.oneof(
        { withCrossShrink: true },
        { weight: 5, arbitrary: fc.constant([] as (readonly [string, JsonLike])[]) },
        {
          weight: 1,
          arbitrary: fc.array(
            fc.oneof(
              fc
                .constantFrom(...PROTOTYPE_PAYLOADS)
                .map((payload) => payload.entries[0] as readonly [string, JsonLike]),
              fc.constantFrom<readonly [string, JsonLike]>(
                ["user_id", FORGED_USER_ID],
                ["privileged", true],
                ["type", "state.patch"],
              ),
            ),
            { minLength: 1, maxLength: 2 },
          ),
        },
      ),
    )
    .map(([base, extras]) => new Entries([...base.entries, ...extras]));

/** Values of the wrong type for any field. */
const wrongType = fc.constantFrom<JsonLike>(null, true, 0, "str", [], [1, 2], new Entries([]));

/** Numbers that break naive code: bounds, -0, huge, non-finite (as raw 1e309). */
const hostileNumber = fc.oneof(
  { withCrossShrink: true },
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.constantFrom(...boundaryNumbers({ minimum: 0.1, maximum: ROOM_TIMER_MAX_SECONDS })),
);

/** Strings that break naive code: control characters, lone surrogates, odd words, huge. */
const hostileString = fc.oneof(
  { withCrossShrink: true },
  { weight: 3, arbitrary: nastyString as fc.Arbitrary<JsonLike> },
  { weight: 2, arbitrary: fc.constantFrom<JsonLike>(...ODD_STRINGS, ...CONTROL_STRINGS) },
  { weight: 1, arbitrary: fc.constantFrom<JsonLike>(...LONE_SURROGATES) },
  {
    weight: 1,
    arbitrary: fc.constantFrom<JsonLike>(
      new LongString("a", ROOM_CHAT_MAX_CHARS),
      new LongString("a", ROOM_CHAT_MAX_CHARS + 1),
      new LongString("é", ROOM_FRAME_MAX_BYTES / 2 + 1),
    ),
  },
);

/** JSON values for patches and presence: plain, deep (under and over the frame size), huge,
 * with prototype keys, lone surrogates, extreme numbers. */
const hostileValue: fc.Arbitrary<JsonLike> = fc.oneof(
  { withCrossShrink: true },
  { weight: 4, arbitrary: fc.jsonValue({ maxDepth: 2 }) as fc.Arbitrary<JsonLike> },
  { weight: 1, arbitrary: hostileNumber as fc.Arbitrary<JsonLike> },
  { weight: 1, arbitrary: hostileString },
  { weight: 1, arbitrary: fc.constantFrom<JsonLike>(...PROTOTYPE_PAYLOADS) },
  {
    weight: 1,
    arbitrary: fc.constantFrom<JsonLike>(
      deepArray(64),
      deepArray(1_000),
      deepArray(5_000),
      deepObject(1_000),
      new LongString("v", 12_000),
    ),
  },
);

/** Segments for generated paths: ordinary, prototype and percent-encoding ones. */
const SEGMENTS = [
  "shared",
  "users",
  SELF,
  "config",
  "x",
  "count",
  "list",
  "__proto__",
  "constructor",
  "prototype",
  POLLUTION_CANARY,
  "%",
  "%E0%A4%A",
  "%zz",
  "%5F%5Fproto%5F%5F",
  "%2F",
  "",
];

const OWN_PATHS = [`/users/${SELF}/x`, `/users/${SELF}/__proto__/${POLLUTION_CANARY}`];

/** Path pools: one property each, so a bug in one kind of path cannot hide another. */
const PATHS = {
  prototype: fc.oneof(
    { withCrossShrink: true },
    { weight: 4, arbitrary: fc.constantFrom(...PROTOTYPE_ROOM_PATHS, ...OWN_PATHS) },
    {
      weight: 1,
      arbitrary: fc
        .array(
          fc.constantFrom("shared", "users", SELF, "x", "__proto__", "constructor", "prototype"),
          {
            minLength: 2,
            maxLength: 4,
          },
        )
        .map((segments) => `/${segments.join("/")}/${POLLUTION_CANARY}`),
    },
  ),
  malformed: fc.oneof(
    { withCrossShrink: true },
    { weight: 3, arbitrary: fc.constantFrom(...MALFORMED_ROOM_PATHS) },
    {
      weight: 2,
      arbitrary: fc
        .array(fc.constantFrom(...SEGMENTS), { minLength: 1, maxLength: 4 })
        .map((segments) => `/${segments.join("/")}`),
    },
    { weight: 1, arbitrary: nastyString.map((text) => `/shared/${text}`) },
    { weight: 1, arbitrary: wrongType },
  ),
  plain: fc.constantFrom(...PLAIN_ROOM_PATHS, ...OWN_PATHS.slice(0, 1)),
} satisfies Record<string, fc.Arbitrary<JsonLike>>;

const opArb = (path: fc.Arbitrary<JsonLike>): fc.Arbitrary<JsonLike> =>
  fc
    .record({
      op: fc.oneof(
        { withCrossShrink: true },
        { weight: 6, arbitrary: fc.constantFrom<JsonLike>("set", "delete", "increment", "append") },
        { weight: 1, arbitrary: fc.constantFrom<JsonLike>("bogus", "", "__proto__", null, "SET") },
      ),
      path,
      value: fc.option(hostileValue, { nil: undefined }),
    })
    .map(({ op, path: at, value }) => object(["op", op], ["path", at], ["value", value]));

const patchIdArb: fc.Arbitrary<JsonLike | undefined> = fc.oneof(
  { withCrossShrink: true },
  { weight: 6, arbitrary: fc.stringMatching(/^[a-z0-9-]{1,12}$/) },
  {
    weight: 1,
    arbitrary: fc.constantFrom<JsonLike | undefined>(
      "",
      new LongString("i", ROOM_PATCH_ID_MAX_CHARS),
      new LongString("i", ROOM_PATCH_ID_MAX_CHARS + 1),
      "__proto__",
      7,
      null,
      undefined,
    ),
  },
);

const opsArb = (path: fc.Arbitrary<JsonLike>): fc.Arbitrary<JsonLike> =>
  fc.oneof(
    { withCrossShrink: true },
    { weight: 8, arbitrary: fc.array(opArb(path), { minLength: 1, maxLength: 3 }) },
    { weight: 1, arbitrary: fc.constant<JsonLike>([]) },
    {
      weight: 1,
      arbitrary: fc.constant<JsonLike>(
        Array.from({ length: ROOM_PATCH_OPS_MAX + 1 }, () => ({
          op: "increment",
          path: "/shared/count",
        })),
      ),
    },
    { weight: 1, arbitrary: wrongType },
  );

const patchFrame = (path: fc.Arbitrary<JsonLike>) =>
  withExtras(
    fc
      .record({ id: patchIdArb, ops: opsArb(path) })
      .map(({ id, ops }) => object(["type", "state.patch"], ["id", id], ["ops", ops])),
  ).map(json);

// ── one arbitrary per frame family ────────────────────────────────────────────────────────

export const FRAME_FAMILIES = {
  "chat.send": withExtras(
    fc
      .oneof(
        { weight: 3, arbitrary: fc.string({ minLength: 1, maxLength: 40 }) },
        hostileString,
        wrongType,
      )
      .map((text) => object(["type", "chat.send"], ["text", text])),
  ).map(json),
  "state.patch at prototype paths": patchFrame(PATHS.prototype),
  "state.patch at malformed paths": patchFrame(PATHS.malformed),
  "state.patch with hostile ids, ops and values": patchFrame(PATHS.plain),
  "presence.set": withExtras(
    fc
      .oneof(
        {
          weight: 4,
          arbitrary: fc
            .array(
              fc.tuple(
                fc.oneof(
                  fc.string({ maxLength: 8 }),
                  fc.constantFrom("__proto__", "constructor", "prototype", POLLUTION_CANARY),
                ),
                hostileValue,
              ),
              { maxLength: 3 },
            )
            .map((entries) => new Entries(entries) as JsonLike),
        },
        { weight: 1, arbitrary: fc.constantFrom<JsonLike>(...PROTOTYPE_PAYLOADS) },
        {
          weight: 1,
          arbitrary: fc.constantFrom<JsonLike>(
            new Entries([["blob", new LongString("z", ROOM_PRESENCE_MAX_BYTES)]]),
            deepObject(1_000),
          ),
        },
        { weight: 1, arbitrary: wrongType },
      )
      .map((data) => object(["type", "presence.set"], ["data", data])),
  ).map(json),
  cursor: withExtras(
    fc
      .record({
        x: fc.oneof(
          { withCrossShrink: true },
          { weight: 3, arbitrary: fc.integer({ min: 0, max: 2000 }) },
          hostileNumber,
          wrongType,
        ),
        y: fc.oneof(
          { withCrossShrink: true },
          { weight: 3, arbitrary: fc.integer({ min: 0, max: 2000 }) },
          hostileNumber,
          wrongType,
        ),
      })
      .map(({ x, y }) => object(["type", "cursor"], ["x", x as JsonLike], ["y", y as JsonLike])),
  ).map(json),
  timers: withExtras(
    fc
      .record({
        type: fc.constantFrom("timer.start", "timer.cancel"),
        name: fc.oneof(
          {
            weight: 3,
            arbitrary: fc.stringMatching(/^[A-Za-z0-9_.:-]{1,12}$/) as fc.Arbitrary<JsonLike>,
          },
          fc.constantFrom<JsonLike>("__proto__", "constructor", "toString", "", "a b", "%"),
          fc.constantFrom<JsonLike>(
            new LongString("t", TIMER_NAME_MAX_CHARS),
            new LongString("t", TIMER_NAME_MAX_CHARS + 1),
          ),
          hostileString,
          wrongType,
        ),
        seconds: fc.oneof(
          {
            weight: 3,
            arbitrary: fc.double({ min: 0.1, max: 5, noNaN: true }) as fc.Arbitrary<JsonLike>,
          },
          hostileNumber as fc.Arbitrary<JsonLike>,
          wrongType,
        ),
      })
      .map(({ type, name, seconds }) =>
        object(
          ["type", type],
          ["name", name],
          ["seconds", type === "timer.start" ? seconds : undefined],
        ),
      ),
  ).map(json),
  "raw, binary and oversized": fc.oneof(
    fc.constantFrom<OutgoingFrame>(
      ...[
        "not json",
        "",
        "{",
        "null",
        "[]",
        "1e309",
        '"chat.send"',
        "\uFEFF{}",
        '{"type":"__proto__"}',
        '{"type":"constructor"}',
        '{"__proto__":{"type":"chat.send","text":"hi"}}',
        '{"type":"chat.send","text":"a","type":"state.patch"}',
        '{"type":"chat.send","text":"\\ud800"}',
        '{"type":"state.patch","id":"\\udfff","ops":[{"op":"set","path":"/shared/\\ud800","value":"\\ud800"}]}',
        '{"type":"presence.set","data":{"\\ud800":"\\udc00"}}',
      ].map((text) => ({ kind: "text", text }) as const),
      {
        kind: "text",
        text: new LongString("x", ROOM_FRAME_MAX_BYTES + 1),
      },
      {
        kind: "json",
        value: object(["type", "chat.send"], ["text", new LongString("a", ROOM_FRAME_MAX_BYTES)]),
      },
      {
        kind: "json",
        value: object(
          ["type", "state.patch"],
          ["id", "deep"],
          [
            "ops",
            [
              object(
                ["op", "set"],
                ["path", "/shared/deep"],
                ["value", deepArray(FRAME_FITTING_DEPTH)],
              ),
            ],
          ],
        ),
      },
      {
        kind: "json",
        value: object(
          ["type", "state.patch"],
          ["id", "too-deep"],
          [
            "ops",
            [object(["op", "set"], ["path", "/shared/deep"], ["value", deepArray(DEEP_NESTING)])],
          ],
        ),
      },
      { kind: "binary", bytes: new TextEncoder().encode('{"type":"chat.send","text":"hi"}') },
      { kind: "binary", bytes: new Uint8Array(ROOM_FRAME_MAX_BYTES + 1) },
    ),
    fc.uint8Array({ maxLength: 64 }).map((bytes) => ({ kind: "binary", bytes }) as OutgoingFrame),
    nastyString.map((text) => ({ kind: "text", text }) as OutgoingFrame),
  ),
} satisfies Record<string, fc.Arbitrary<OutgoingFrame>>;

export type FrameFamily = keyof typeof FRAME_FAMILIES;

export const frameCaseArb = (family: FrameFamily): fc.Arbitrary<FrameCase> =>
  fc.record({
    // Participants most of the time; the privileged owner and backend may write anywhere.
    who: fc.oneof(
      { withCrossShrink: true },
      { weight: 3, arbitrary: fc.constant<Who>("participant") },
      fc.constantFrom<Who>("owner", "creation"),
    ),
    frame: FRAME_FAMILIES[family],
  });

export interface Rendered {
  payload: string | Uint8Array;
  /** The payload as the room will parse it, when it is text JSON. */
  parsed: unknown;
}

export function render(frame: OutgoingFrame, self: string): Rendered {
  if (frame.kind === "binary") return { payload: frame.bytes, parsed: undefined };
  const text =
    frame.kind === "json"
      ? jsonText(frame.value).replaceAll(SELF, self)
      : frame.text instanceof LongString
        ? frame.text.value
        : frame.text;
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = undefined;
  }
  return { payload: text, parsed };
}
