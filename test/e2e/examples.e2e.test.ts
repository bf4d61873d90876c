// The four examples in two browser windows each, against wrangler dev, each window signed in
// through the pages' development sign-in (no credential in the address). Screenshots of every
// example are written to test-results/screenshots/ as artifacts.
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { connectRoom, type PatchOp, ticketFetcher } from "../../src/client/index.ts";
import { launchBrowser } from "./browser.ts";
import { createCreation, devSignIn } from "./dev-identity.ts";

const baseUrl = inject("baseUrl");
const screenshots = fileURLToPath(new URL("../../test-results/screenshots/", import.meta.url));
let browser: Browser;
let creationId: string;
const OWNER = "example-owner";
const GUEST = "example-guest";
/** Errors each open page has thrown (a handler that throws is one). */
const pageErrors = new Map<Page, string[]>();

beforeAll(async () => {
  mkdirSync(screenshots, { recursive: true });
  browser = await launchBrowser();
  creationId = (await createCreation(baseUrl, await devSignIn(baseUrl, OWNER))).id;
});
afterAll(async () => {
  await browser?.close();
});

/** Opens an example in a fresh window, signs in as `user` and waits until the room is up. */
async function open(example: string, user: string, room?: string): Promise<Page> {
  const page = await browser.newPage({ viewport: { width: 900, height: 700 } });
  const errors: string[] = [];
  pageErrors.set(page, errors);
  page.on("pageerror", (error) => errors.push(error.message));
  const address = `${baseUrl}/examples/${example}/?creation=${creationId}${room ? `&room=${room}` : ""}`;
  await page.goto(address);
  await page.fill("#sign-in [name=user]", user);
  await page.click("#sign-in button[type=submit]");
  await page.waitForSelector("body[data-connected=true]", { timeout: 15_000 });
  expect(await page.textContent("[data-status]")).toBe(`connected as ${user}`);
  expect(page.url()).toBe(address);
  expect(errors).toEqual([]);
  return page;
}

/** Patches a room as `user` through the client SDK, as any participant of the page could. */
async function writeAs(user: string, room: string, ops: PatchOp[]): Promise<void> {
  const token = await devSignIn(baseUrl, user);
  const options = { baseUrl, creationId, room };
  const client = connectRoom({
    ...options,
    getTicket: ticketFetcher({ ...options, token: () => token }),
  });
  try {
    await client.patch(ops);
  } finally {
    client.close();
  }
}

describe("examples in two windows", () => {
  it("poll: a vote in one window shows in the other", async () => {
    const [owner, guest] = [await open("poll", OWNER), await open("poll", GUEST)];
    await owner.click('[data-option="Sushi"]');
    await expect
      .poll(() => guest.textContent('[data-count="Sushi"]'), { timeout: 10_000 })
      .toBe("1");
    await guest.click('[data-option="Sushi"]');
    await guest.click('[data-option="Tacos"]'); // one vote per person: this replaces the first
    await expect
      .poll(() => owner.textContent('[data-count="Tacos"]'), { timeout: 10_000 })
      .toBe("1");
    expect(await owner.textContent('[data-count="Sushi"]')).toBe("1");
    await owner.screenshot({ path: join(screenshots, "poll.png") });
    await Promise.all([owner.close(), guest.close()]);
  });

  it("whiteboard: a stroke drawn in one window appears in the other, with a live cursor", async () => {
    const [owner, guest] = [await open("whiteboard", OWNER), await open("whiteboard", GUEST)];
    const box = await guest.locator("#canvas").boundingBox();
    if (!box) throw new Error("no canvas");
    await guest.mouse.move(box.x + 100, box.y + 100);
    await guest.mouse.down();
    for (let step = 1; step <= 10; step++)
      await guest.mouse.move(box.x + 100 + step * 20, box.y + 100 + step * 10);
    await guest.mouse.up();
    await expect
      .poll(() => owner.getAttribute("#canvas", "data-strokes"), { timeout: 10_000 })
      .toBe("1");
    await expect
      .poll(() => owner.locator("[data-cursor=example-guest]").count(), { timeout: 10_000 })
      .toBe(1);
    await owner.screenshot({ path: join(screenshots, "whiteboard.png") });
    expect(await guest.isHidden("#clear")).toBe(true);
    await owner.click("#clear");
    await expect
      .poll(() => guest.getAttribute("#canvas", "data-strokes"), { timeout: 10_000 })
      .toBe("0");
    await Promise.all([owner.close(), guest.close()]);
  });

  it("chat: a message sent in one window shows in the other", async () => {
    const [owner, guest] = [await open("chat", OWNER), await open("chat", GUEST)];
    await owner.fill("#text", "hello from the owner");
    await owner.click("#send button");
    await expect
      .poll(() => guest.textContent("#messages"), { timeout: 10_000 })
      .toContain("hello from the owner");
    await expect.poll(() => guest.locator("#presence li").count(), { timeout: 10_000 }).toBe(2);
    await guest.screenshot({ path: join(screenshots, "chat.png") });
    await Promise.all([owner.close(), guest.close()]);
  });

  it("game: two players take seats and a move shows on both boards", async () => {
    const [owner, guest] = [await open("game", OWNER), await open("game", GUEST)];
    await owner.click("#sit");
    await expect
      .poll(() => guest.textContent("#seats"), { timeout: 10_000 })
      .toContain("X: example-owner");
    await guest.click("#sit");
    await expect
      .poll(() => owner.textContent("#seats"), { timeout: 10_000 })
      .toContain("O: example-guest");
    await owner.click('[data-cell="4"]');
    await expect.poll(() => guest.textContent('[data-cell="4"]'), { timeout: 10_000 }).toBe("X");
    await expect
      .poll(() => guest.textContent("#turn"), { timeout: 10_000 })
      .toBe("Turn 2: your move");
    await guest.screenshot({ path: join(screenshots, "game.png") });
    await Promise.all([owner.close(), guest.close()]);
  });

  it("sign-in: a token in the address is never used, and a reload stays signed in", async () => {
    const page = await browser.newPage({ viewport: { width: 900, height: 700 } });
    const clean = `${baseUrl}/examples/poll/?creation=${creationId}`;
    await page.goto(`${clean}&token=not-a-credential`);
    await page.waitForSelector("#sign-in");
    expect(page.url()).toBe(clean); // taken out of the address (and so out of history)
    await page.fill("#sign-in [name=user]", "reloader");
    await page.click("#sign-in button[type=submit]");
    await page.waitForSelector("body[data-connected=true]", { timeout: 15_000 });
    await page.reload();
    await page.waitForSelector("body[data-connected=true]", { timeout: 15_000 });
    expect(await page.locator("#sign-in").count()).toBe(0);
    expect(await page.textContent("[data-status]")).toBe("connected as reloader");
    await page.close();
  });

  it("reads a participant's odd values as nothing: no page breaks, everyone else's content shows", async () => {
    const [board, poll, game] = ["odd-board", "odd-poll", "odd-game"];
    await writeAs("mallory", board, [{ op: "set", path: "/users/mallory", value: null }]);
    await writeAs("mallet", board, [
      { op: "set", path: "/users/mallet/strokes", value: ["x", [[1, "y"]], 5] },
    ]);
    await writeAs(GUEST, board, [
      {
        op: "append",
        path: `/users/${GUEST}/strokes`,
        value: [
          [10, 10],
          [60, 40],
        ],
      },
    ]);
    await writeAs("mallory", poll, [{ op: "set", path: "/users/mallory", value: null }]);
    await writeAs("mallet", poll, [{ op: "set", path: "/users/mallet", value: "a vote?" }]);
    await writeAs(GUEST, poll, [{ op: "set", path: `/users/${GUEST}/vote`, value: "Sushi" }]);
    await writeAs("mallory", game, [
      { op: "set", path: "/shared/seats", value: { x: "mallory", o: "mallet" } },
      { op: "set", path: "/shared/skipped", value: 5 },
      { op: "set", path: "/users/mallory/moves", value: 5 },
    ]);
    await writeAs("mallet", game, [
      { op: "set", path: "/users/mallet/moves", value: [null, "x", { turn: "0", cell: 99 }] },
    ]);
    const pages = [
      await open("whiteboard", OWNER, board),
      await open("poll", OWNER, poll),
      await open("game", OWNER, game),
    ];
    const [boardPage, pollPage, gamePage] = pages;
    await expect.poll(() => boardPage?.getAttribute("#canvas", "data-strokes")).toBe("1");
    await expect.poll(() => pollPage?.textContent('[data-count="Sushi"]')).toBe("1");
    await expect.poll(() => gamePage?.textContent("#turn")).toBe("Turn 1: waiting for mallory");
    expect(pages.map((page) => pageErrors.get(page))).toEqual([[], [], []]);
    await Promise.all(pages.map((page) => page.close()));
  });
});
