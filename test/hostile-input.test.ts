// Bodies of the wrong kind, tokens without an expiry and names that would be silently changed:
// each is refused with 400/401 naming the problem, and nothing is created or changed.
import { env } from "cloudflare:workers";
import { SignJWT } from "jose";
import { describe, expect, it } from "vitest";
import { clock } from "../src/shared/clock.ts";
import {
  CREATION_NAME_MAX_LENGTH,
  JSON_MAX_DEPTH,
  JWT_MAX_LIFETIME_SECONDS,
} from "../src/shared/limits.ts";
import { api, bearer, createCreation, eventually, jsonInit, problemOf } from "./helpers.ts";

const rawInit = (method: string, text: string, headers: Record<string, string>) => ({
  method,
  headers: { "content-type": "application/json", ...headers },
  body: text,
});

const nested = (depth: number) => `${"[".repeat(depth)}${"]".repeat(depth)}`;

async function listedCreations(owner: string): Promise<{ name: string | null }[]> {
  const response = await api("/v1/creations", { headers: await bearer({ sub: owner }) });
  return ((await response.json()) as { creations: { name: string | null }[] }).creations;
}

describe("bodies of the wrong kind", () => {
  it("refuses arrays, scalars, deep nesting and __proto__ keys where a creation is expected, creating nothing", async () => {
    const headers = await bearer({ sub: "shape-owner" });
    const cases: [string, string, string][] = [
      ["[1,2]", "body", "must be a JSON object"],
      ["[]", "body", "must be a JSON object"],
      ['"name"', "body", "must be a JSON object"],
      ["42", "body", "must be a JSON object"],
      ["null", "body", "must be a JSON object"],
      [nested(60_000), "body", `may nest at most ${JSON_MAX_DEPTH} levels deep`],
      ['{"name":"x","__proto__":{"admin":true}}', "body", 'may not use "__proto__" as a key'],
      ['{"name":"x","owner":"mallory"}', "owner", "is not a known field"],
    ];
    for (const [text, field, message] of cases) {
      const response = await api("/v1/creations", rawInit("POST", text, headers));
      const problem = await problemOf(response);
      expect([text.slice(0, 20), response.status, problem.code, problem.errors]).toEqual([
        text.slice(0, 20),
        400,
        "INVALID_REQUEST",
        [{ field, message }],
      ]);
    }
    await createCreation("shape-owner", { name: "the only one" });
    const listed = await eventually(
      () => listedCreations("shape-owner"),
      (list) => list.length > 0,
    );
    expect(listed.map((creation) => creation.name)).toEqual(["the only one"]);
  });

  it("refuses an array as a PATCH body and as a nested object, changing nothing", async () => {
    const { id } = await createCreation("shape-patcher", { name: "before" });
    const headers = await bearer({ sub: "shape-patcher" });
    const array = await api(`/v1/creations/${id}`, rawInit("PATCH", "[]", headers));
    expect([array.status, (await problemOf(array)).errors]).toEqual([
      400,
      [{ field: "body", message: "must be a JSON object" }],
    ]);
    const schedule = await api(
      `/v1/creations/${id}/schedules/nightly`,
      jsonInit("PUT", { cron: "0 0 * * *", target: [] }, headers),
    );
    expect([schedule.status, (await problemOf(schedule)).errors]).toEqual([
      400,
      [{ field: "target", message: "must be a JSON object" }],
    ]);
    const after = (await (await api(`/v1/creations/${id}`, { headers })).json()) as {
      name: string;
    };
    expect(after.name).toBe("before");
  });
});

describe("JWTs", () => {
  const secret = () => new TextEncoder().encode(env.AUTH_JWT_SECRET);
  const now = () => Math.floor(clock.now() / 1000);

  async function meWith(jwt: SignJWT) {
    const token = await jwt.setProtectedHeader({ alg: "HS256" }).setSubject("jot").sign(secret());
    return api("/v1/me", { headers: { authorization: `Bearer ${token}` } });
  }

  it("refuses a token without exp, and one that lives longer than the limit, in plain words", async () => {
    const noExpiry = await meWith(new SignJWT({}).setIssuedAt(now()));
    expect([noExpiry.status, await problemOf(noExpiry)]).toMatchObject([
      401,
      { code: "INVALID_TOKEN", detail: "The JWT has no expiry: it must carry an exp claim." },
    ]);
    const tooLong = await meWith(
      new SignJWT({}).setIssuedAt(now()).setExpirationTime(now() + JWT_MAX_LIFETIME_SECONDS + 60),
    );
    expect([tooLong.status, (await problemOf(tooLong)).max_lifetime_seconds]).toEqual([
      401,
      JWT_MAX_LIFETIME_SECONDS,
    ]);
    // An iat in the future cannot stretch the life: measured from now, this one lives a year.
    const yearAhead = now() + 365 * 24 * 60 * 60;
    const futureIat = await meWith(
      new SignJWT({}).setIssuedAt(yearAhead).setExpirationTime(yearAhead + 3600),
    );
    expect([futureIat.status, (await problemOf(futureIat)).max_lifetime_seconds]).toEqual([
      401,
      JWT_MAX_LIFETIME_SECONDS,
    ]);
    const withinLimit = await meWith(
      new SignJWT({}).setIssuedAt(now()).setExpirationTime(now() + JWT_MAX_LIFETIME_SECONDS),
    );
    expect(withinLimit.status).toBe(200);
  });

  it("says what is wrong without library codes", async () => {
    const forged = await new SignJWT({})
      .setProtectedHeader({ alg: "HS256" })
      .setSubject("jot")
      .setExpirationTime(now() + 60)
      .sign(new TextEncoder().encode("not the secret"));
    const details: string[] = [];
    for (const token of [forged, "not.a.jwt", "abc"]) {
      const response = await api("/v1/me", { headers: { authorization: `Bearer ${token}` } });
      const problem = await problemOf(response);
      expect([response.status, problem.code]).toEqual([401, "INVALID_TOKEN"]);
      details.push(problem.detail);
    }
    expect(details).toEqual([
      "The JWT's signature does not match.",
      "The bearer token is not a well-formed JWT.",
      "The bearer token is not a well-formed JWT.",
    ]);
    expect(details.join(" ")).not.toMatch(/ERR_/);
  });
});

describe("names are validated, not transformed", () => {
  it("refuses subdomains with whitespace or control characters instead of trimming them", async () => {
    const headers = await bearer({ sub: "namer" });
    for (const raw of ["trimme%20", "%09tabbed", "%20lead", "a%00b", "new%0Aline"]) {
      const response = await api(`/v1/subdomains/${raw}/claim`, { method: "POST", headers });
      expect([raw, response.status, (await problemOf(response)).code]).toEqual([
        raw,
        400,
        "INVALID_SUBDOMAIN",
      ]);
    }
    for (const name of ["trimme", "tabbed"]) {
      const check = await api(`/registry/check/${name}`);
      expect(await check.json()).toMatchObject({ available: true });
    }
  });

  it("refuses creation names with controls, lone surrogates or padding, and counts characters as code points", async () => {
    const headers = await bearer({ sub: "namer-2" });
    const refused: [string, string][] = [
      ['"bell\\u0007"', "must not contain control characters"],
      ['"nul\\u0000"', "must not contain control characters"],
      ['"half \\ud800 surrogate"', "must be valid Unicode (no lone surrogate code units)"],
      ['" padded "', "must not start or end with whitespace"],
      ['""', "must not be empty"],
      [
        JSON.stringify("é".repeat(CREATION_NAME_MAX_LENGTH + 1)),
        `must be at most ${CREATION_NAME_MAX_LENGTH} characters`,
      ],
    ];
    for (const [name, message] of refused) {
      const response = await api("/v1/creations", rawInit("POST", `{"name":${name}}`, headers));
      expect([name.slice(0, 24), response.status, (await problemOf(response)).errors]).toEqual([
        name.slice(0, 24),
        400,
        [{ field: "name", message }],
      ]);
    }
    const emoji = "🎈".repeat(CREATION_NAME_MAX_LENGTH); // 100 characters, 200 UTF-16 units
    const created = await createCreation("namer-2", { name: emoji });
    expect(created.name).toBe(emoji);
  });
});
