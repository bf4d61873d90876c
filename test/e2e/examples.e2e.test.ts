// The four examples in two browser windows each, against wrangler dev. Screenshots of every
// example are written to test-results/screenshots/ as artifacts.
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { launchBrowser } from "./browser.ts";
import { createCreation, devToken } from "./dev-identity.ts";

const baseUrl = inject("baseUrl");
const screenshots = fileURLToPath(new URL("../../test-results/screenshots/", import.meta.url));
let browser: Browser;
let creationId: string;
let ownerToken: string;
let guestToken: string;

beforeAll(async () => {
  mkdirSync(screenshots, { recursive: true });
  browser = await launchBrowser();
  ownerToken = await devToken("example-owner");
  guestToken = await devToken("example-guest");
  creationId = (await createCreation(baseUrl, ownerToken)).id;
});
afterAll(async () => {
  await browser?.close();
});

/** Opens an example as one user and waits until its room connection is up. */
async function open(example: string, token: string): Promise<Page> {
  const page = await browser.newPage({ viewport: { width: 900, height: 700 } });
  const errors: string[] = [];
  page.on("pageerror", (error) => errors.push(error.message));
  await page.goto(`${baseUrl}/examples/${example}/?creation=${creationId}&token=${token}`);
  await page.waitForSelector("body[data-connected=true]", { timeout: 15_000 });
  expect(errors).toEqual([]);
  return page;
}

describe("examples in two windows", () => {
  it("poll: a vote in one window shows in the other", async () => {
    const [owner, guest] = [await open("poll", ownerToken), await open("poll", guestToken)];
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
    const [owner, guest] = [
      await open("whiteboard", ownerToken),
      await open("whiteboard", guestToken),
    ];
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
    const [owner, guest] = [await open("chat", ownerToken), await open("chat", guestToken)];
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
    const [owner, guest] = [await open("game", ownerToken), await open("game", guestToken)];
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
});
