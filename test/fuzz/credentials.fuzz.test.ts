// Property-based fuzzing of the parsers every new credential goes through before anything is
// looked up: API keys (sk_/pk_), content credentials (rcc_), session tickets (stk_), session
// WebSocket frames; and the headers that carry them (X-Publishable-Key, X-Internal-Key).
//   - a parser never throws on hostile text (prototype names, malformed base64url, huge or
//     empty input, any prefix): it answers "not one of ours" (null, or a 4xx with its code);
//   - a genuine credential with any one character changed is never taken;
//   - a ticket names exactly the user it was made for, whatever the id;
//   - a frame is a string of text or an INVALID_FRAME / FRAME_TOO_LARGE refusal, never more;
//   - over HTTP, every hostile header value is a 4xx with a stable code, never a 5xx, and
//     Object.prototype stays clean.

import { env } from "cloudflare:workers";
import * as fc from "fast-check";
import { describe, expect, it } from "vitest";
import { newTicket, readSendFrame, ticketUser } from "../../src/actors/session/socket.ts";
import { mintApiKey, readApiKey } from "../../src/shared/api-keys.ts";
import {
  mintContentCredential,
  readContentCredential,
} from "../../src/shared/content-credentials.ts";
import { ApiError } from "../../src/shared/errors.ts";
import { USER_ID_MAX_LENGTH } from "../../src/shared/limits.ts";
import { mintCreationToken, readCreationToken } from "../../src/shared/tokens.ts";
import { api, createCreation, jsonInit } from "../helpers.ts";
import { HOSTILE_HEADER_VALUES, headerLabel, headerText } from "./hostile.ts";
import { suiteBudget } from "./settings.ts";

const budget = suiteBudget("credentials", 7);

/** Text shaped like a credential: a known prefix (or none), then anything. */
const credentialish = (prefixes: string[]) =>
  fc
    .tuple(
      fc.constantFrom("", ...prefixes),
      fc.oneof(
        fc.string({ maxLength: 200 }),
        fc.base64String({ maxLength: 200 }),
        fc.constantFrom("__proto__", "constructor", "=", "..", ".", "%zz", "\u0000"),
      ),
    )
    .map(([prefix, rest]) => `${prefix}${rest}`);

/** The same text with one character replaced by another. */
const mutated = (text: string) =>
  fc
    .tuple(fc.nat({ max: text.length - 1 }), fc.constantFrom("A", "B", "-", "_", "0", "z"))
    .map(([at, char]) => `${text.slice(0, at)}${char}${text.slice(at + 1)}`)
    .filter((changed) => changed !== text);

const prototypeClean = () => {
  expect(Object.keys(Object.prototype)).toEqual([]);
  expect(({} as Record<string, unknown>).polluted).toBeUndefined();
};

describe("credential parsers", () => {
  it("readApiKey answers null for text it did not mint, and never throws", async () => {
    await fc.assert(
      fc.asyncProperty(
        credentialish(["sk_live_", "sk_test_", "pk_live_", "pk_test_"]),
        async (text) => {
          expect(await readApiKey(env.TOKEN_SECRET, text)).toBeNull();
        },
      ),
      budget.parameters(),
    );
  });

  it("a genuine key with one character changed is never taken", async () => {
    const { key } = await mintApiKey(env.TOKEN_SECRET, {
      kind: "secret",
      mode: "live",
      creationId: crypto.randomUUID(),
      scopes: null,
      expiresAt: null,
    });
    expect(await readApiKey(env.TOKEN_SECRET, key)).not.toBeNull();
    await fc.assert(
      fc.asyncProperty(mutated(key), async (changed) => {
        const claim = await readApiKey(env.TOKEN_SECRET, changed);
        // A change inside the prefix can only make it another kind's text, never a genuine key.
        expect(claim).toBeNull();
      }),
      budget.parameters(),
    );
  });

  it("a genuine creation token with one character changed is never taken", async () => {
    const token = await mintCreationToken(env.TOKEN_SECRET, crypto.randomUUID(), 3);
    expect(await readCreationToken(env.TOKEN_SECRET, token)).not.toBeNull();
    await fc.assert(
      fc.asyncProperty(mutated(token), async (changed) => {
        expect(await readCreationToken(env.TOKEN_SECRET, changed)).toBeNull();
      }),
      budget.parameters(),
    );
  });

  it("readContentCredential takes only credentials minted here, unchanged", async () => {
    const credential = await mintContentCredential(env.TOKEN_SECRET, {
      creationId: crypto.randomUUID(),
      userId: "__proto__",
      role: "user",
      expiresAt: 2_000_000_000,
    });
    expect(await readContentCredential(env.TOKEN_SECRET, credential)).toMatchObject({
      userId: "__proto__",
    });
    await fc.assert(
      fc.asyncProperty(fc.oneof(credentialish(["rcc_"]), mutated(credential)), async (text) => {
        expect(await readContentCredential(env.TOKEN_SECRET, text)).toBeNull();
      }),
      budget.parameters(),
    );
    prototypeClean();
  });

  it("a session ticket names exactly its user, and anything else names no one or is refused", () => {
    fc.assert(
      fc.property(
        fc.string({ minLength: 1, maxLength: USER_ID_MAX_LENGTH, unit: "binary-ascii" }),
        credentialish(["stk_"]),
        (userId, text) => {
          expect(ticketUser(newTicket(userId))).toBe(userId);
          // Shaped text may name a user (the session then finds no such ticket); it never throws.
          const named = ticketUser(text);
          expect(named === null || typeof named === "string").toBe(true);
        },
      ),
      budget.parameters(),
    );
  });

  it("a session frame is its text, or INVALID_FRAME / FRAME_TOO_LARGE", () => {
    const frames = fc.oneof(
      fc.string({ maxLength: 300 }),
      fc.json({ maxDepth: 4 }),
      fc
        .record({ type: fc.constantFrom("send", "__proto__", "SEND"), text: fc.anything() })
        .map((frame) => JSON.stringify(frame)),
      fc.constantFrom(
        '{"type":"send","text":"hi","__proto__":{"polluted":1}}',
        '{"__proto__":{"type":"send","text":"x"}}',
        '{"type":"send","text":"   "}',
        `{"type":"send","text":"${"x".repeat(40_000)}"}`,
      ),
    );
    fc.assert(
      fc.property(frames, (frame) => {
        try {
          expect(typeof readSendFrame(frame)).toBe("string");
        } catch (error) {
          expect(error).toBeInstanceOf(ApiError);
          expect(["INVALID_FRAME", "FRAME_TOO_LARGE"]).toContain((error as ApiError).code);
        }
      }),
      budget.parameters(),
    );
    prototypeClean();
  });

  it(
    "hostile X-Publishable-Key and X-Internal-Key values are 4xx with a stable code",
    async () => {
      const creation = await createCreation("fuzz-credentials");
      const values = HOSTILE_HEADER_VALUES.map(headerText).filter((text) => text.trim() !== "");
      for (const value of values) {
        const page = await api("/v1/publishable-key", { headers: { "x-publishable-key": value } });
        expect(page.status, headerLabel(value)).toBeGreaterThanOrEqual(400);
        expect(page.status, headerLabel(value)).toBeLessThan(500);
        expect(((await page.json()) as { code: string }).code).toMatch(/^[A-Z_]+$/);
        const internal = await api(
          "/v1/auth/validate",
          jsonInit(
            "POST",
            { token: "rcc_x.y", creation_id: creation.id },
            { "x-internal-key": value },
          ),
        );
        expect(internal.status, headerLabel(value)).toBeGreaterThanOrEqual(400);
        expect(internal.status, headerLabel(value)).toBeLessThan(500);
      }
      prototypeClean();
    },
    budget.timeout(2 * HOSTILE_HEADER_VALUES.length),
  );
});
