// The paywalled example (examples/puzzle/: Cipher Club) in Chromium against wrangler dev: a
// buyer finds the archive locked, buys a day pass (the wallet drops by exactly its price) and
// sees it, still sees it after a reload, buys a hint pack and uses all five hints, and the sixth
// is refused by the server. What the page shows is checked against the API.
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { launchBrowser } from "./browser.ts";
import { createCreation, devSignIn } from "./dev-identity.ts";

const baseUrl = inject("baseUrl");
const screenshots = fileURLToPath(new URL("../../test-results/screenshots/", import.meta.url));
const OWNER = "paywall-owner";
const BUYER = "paywall-buyer";
const PASS_PRICE = 10;
const PACK_PRICE = 20;
const PACK_USES = 5;
/** The example's hint ladder is longer than one pack (examples/puzzle/content.js). */
const HINTS_IN_LADDER = 8;
const ARCHIVE_ENTRIES = 3;

let browser: Browser;
let creationId: string;
const pageErrors: string[] = [];

async function api<T>(
  token: string,
  path: string,
  init: RequestInit = {},
): Promise<{ status: number; body: T }> {
  const response = await fetch(`${baseUrl}${path}`, {
    ...init,
    headers: {
      authorization: `Bearer ${token}`,
      "content-type": "application/json",
      ...init.headers,
    },
  });
  const text = await response.text();
  return { status: response.status, body: (text ? JSON.parse(text) : null) as T };
}

beforeAll(async () => {
  mkdirSync(screenshots, { recursive: true });
  browser = await launchBrowser();
  const owner = await devSignIn(baseUrl, OWNER);
  creationId = (await createCreation(baseUrl, owner)).id;
  // The owner's setup, as examples/puzzle/README.md has it.
  const enabled = await api(owner, `/v1/creations/${creationId}`, {
    method: "PATCH",
    body: JSON.stringify({ permissions: ["payments"] }),
  });
  expect(enabled.status).toBe(200);
  const catalog = await api(owner, `/v1/creations/${creationId}/products`, {
    method: "PUT",
    body: JSON.stringify({
      products: [
        {
          sku: "day_pass",
          name: "Day pass",
          description: "24 hours of the archive: every past cipher with its worked solution.",
          price: PASS_PRICE,
          type: "period",
          duration_seconds: 86_400,
        },
        {
          sku: "hints",
          name: "Hint pack",
          description: "Five hints, revealed one at a time, gentlest first.",
          price: PACK_PRICE,
          type: "consumable",
          uses_total: PACK_USES,
        },
      ],
    }),
  });
  expect(catalog.status).toBe(200);
});
afterAll(async () => {
  await browser?.close();
});

const balance = async (page: Page) => Number(await page.getAttribute("#balance", "data-balance"));
const hintsShown = (page: Page) => page.locator("#hints li").count();

/** Clicks a button and waits until the page has the server's answer. */
async function press(page: Page, selector: string): Promise<void> {
  await page.click(selector);
  await page.waitForSelector("main[aria-busy=false]");
}

describe("paywall example: a day pass and a hint pack, bought and used from the page", () => {
  it("locks, sells, unlocks, survives a reload and counts hints down to a refusal", async () => {
    const page = await browser.newPage({ viewport: { width: 900, height: 1000 } });
    page.on("pageerror", (error) => pageErrors.push(error.message));
    await page.goto(`${baseUrl}/examples/puzzle/?creation=${creationId}`);
    await page.fill("#sign-in [name=user]", BUYER);
    await page.click("#sign-in button[type=submit]");
    await page.waitForSelector("body[data-ready=true]");
    expect(await page.textContent("[data-status]")).toBe(`signed in as ${BUYER}`);

    // Locked: the free cipher shows, the archive's solutions do not; prices from the catalog.
    expect(await page.textContent("#ciphertext")).toContain("AOL VSK SPNOAOVBZL");
    expect(await page.locator("#archive li").count()).toBe(ARCHIVE_ENTRIES);
    expect(await page.locator("#archive [data-solution]").count()).toBe(0);
    expect(await page.textContent("#buy-pass")).toBe(`Buy a day pass · ${PASS_PRICE} credits`);
    expect(await page.textContent("#buy-hints")).toBe(
      `Buy ${PACK_USES} hints · ${PACK_PRICE} credits`,
    );
    expect(await page.isHidden("#reveal")).toBe(true);
    const before = await balance(page);
    expect(before).toBe(3_900); // a new user's welcome grant and today's gift
    await page.screenshot({ path: join(screenshots, "paywall-locked.png"), fullPage: true });

    // The day pass: exactly its price leaves the wallet, and the archive opens.
    await press(page, "#buy-pass");
    expect(await page.textContent("#message")).toBe(
      `Bought: Day pass for ${PASS_PRICE} credits. Receipt verified.`,
    );
    expect(await balance(page)).toBe(before - PASS_PRICE);
    expect(await page.locator("#archive [data-solution]").count()).toBe(ARCHIVE_ENTRIES);
    expect(await page.isHidden("#locked")).toBe(true);
    expect(await page.textContent("#pass-until")).toMatch(/^Day pass until /);
    await page.screenshot({ path: join(screenshots, "paywall-unlocked.png"), fullPage: true });

    // A reload reads it all from the server again: still open, same balance.
    await page.reload();
    await page.waitForSelector("body[data-ready=true]");
    expect(await page.locator("#archive [data-solution]").count()).toBe(ARCHIVE_ENTRIES);
    expect(await balance(page)).toBe(before - PASS_PRICE);

    // The hint pack: five uses, each reveals the next hint; the sixth is the server's refusal.
    await press(page, "#buy-hints");
    expect(await balance(page)).toBe(before - PASS_PRICE - PACK_PRICE);
    expect(await page.textContent("#hints-left")).toBe(`${PACK_USES} hints left`);
    expect(await page.isHidden("#buy-hints")).toBe(true);
    const counts: string[] = [];
    for (let use = 1; use <= PACK_USES; use++) {
      await press(page, "#reveal");
      expect(await hintsShown(page)).toBe(use);
      counts.push((await page.getAttribute("#hints-left", "data-left")) ?? "");
    }
    expect(counts).toEqual(["4", "3", "2", "1", "0"]);
    expect(await page.textContent("#hints-left")).toBe("0 hints left");
    expect(await page.isVisible("#buy-hints")).toBe(true); // another pack is on offer
    await press(page, "#reveal");
    expect(await page.textContent("#problem")).toBe(
      "Your hint pack is used up: buy another pack to see the next hint.",
    );
    expect(await hintsShown(page)).toBe(PACK_USES);
    expect(PACK_USES).toBeLessThan(HINTS_IN_LADDER); // so the refusal is the server's, not the ladder's end
    await page.screenshot({ path: join(screenshots, "paywall-hints-used.png"), fullPage: true });

    // And after another reload the page shows the same five hints, from the server's count.
    await page.reload();
    await page.waitForSelector("body[data-ready=true]");
    expect(await hintsShown(page)).toBe(PACK_USES);
    expect(pageErrors).toEqual([]);
    await page.close();

    // What the API says matches what the page showed.
    const buyer = await devSignIn(baseUrl, BUYER);
    const scope = `scope_type=creation&scope_id=${creationId}`;
    const hints = await api<{ active: boolean; uses_remaining: number | null }>(
      buyer,
      `/v1/me/entitlements/check?${scope}&sku=hints`,
    );
    expect(hints.body).toMatchObject({ active: false, uses_remaining: 0 });
    const pass = await api<{ active: boolean; expires_at: string | null }>(
      buyer,
      `/v1/me/entitlements/check?${scope}&sku=day_pass`,
    );
    expect(pass.body.active).toBe(true);
    const wallet = await api<{ balance: number }>(buyer, "/v1/me/wallet");
    expect(wallet.body.balance).toBe(before - PASS_PRICE - PACK_PRICE);
    const mine = await api<{ entitlements: { sku: string; uses_total: number | null }[] }>(
      buyer,
      `/v1/me/entitlements?scope_id=${creationId}`,
    );
    expect(mine.body.entitlements.map((e) => [e.sku, e.uses_total]).sort()).toEqual([
      ["day_pass", null],
      ["hints", PACK_USES],
    ]);
  });

  it("lets a visitor who did not sign in read the free cipher, with offers to sign in and buy", async () => {
    const page = await browser.newPage({ viewport: { width: 900, height: 1000 } });
    page.on("pageerror", (error) => pageErrors.push(error.message));
    await page.goto(`${baseUrl}/examples/puzzle/?creation=${creationId}`);
    await page.click("#sign-in [data-anonymous]");
    await page.waitForSelector("body[data-ready=true]");
    expect(await page.textContent("[data-status]")).toBe("browsing without signing in");
    expect(await page.isHidden("#wallet")).toBe(true);
    expect(await page.locator("#archive [data-solution]").count()).toBe(0);
    expect(await page.textContent("#buy-pass")).toBe(`Sign in to buy · ${PASS_PRICE} credits`);
    await page.fill("#answer-text", "The old lighthouse!"); // the free cipher works for everyone
    await page.click("#answer button[type=submit]");
    expect(await page.textContent("#verdict")).toMatch(/^Solved! The note reads: MEET ME/);
    await page.click("#buy-pass"); // forgets "without signing in" and asks who you are
    await page.waitForSelector("#sign-in [name=user]");
    expect(pageErrors).toEqual([]);
    await page.close();
  });

  it("explains a purchase the wallet cannot pay for, and unlocks nothing", async () => {
    const page = await browser.newPage({ viewport: { width: 900, height: 1000 } });
    page.on("pageerror", (error) => pageErrors.push(error.message));
    // A buyer who has spent all but 5 credits elsewhere.
    const spender = "paywall-spender";
    const token = await devSignIn(baseUrl, spender);
    const { body: wallet } = await api<{ balance: number }>(token, "/v1/me/wallet");
    const spent = await api(token, "/v1/me/credits/spend", {
      method: "POST",
      body: JSON.stringify({ amount: wallet.balance - 5, type: "elsewhere" }),
    });
    expect(spent.status).toBe(200);
    await page.goto(`${baseUrl}/examples/puzzle/?creation=${creationId}`);
    await page.fill("#sign-in [name=user]", spender);
    await page.click("#sign-in button[type=submit]");
    await page.waitForSelector("body[data-ready=true]");
    expect(await balance(page)).toBe(5);
    await press(page, "#buy-pass");
    expect(await page.textContent("#problem")).toBe(
      `Not enough credits: this costs ${PASS_PRICE} credits and your wallet has 5 credits (5 credits short).`,
    );
    expect(await page.locator("#archive [data-solution]").count()).toBe(0);
    expect(await balance(page)).toBe(5);
    expect(pageErrors).toEqual([]);
    await page.close();
  });
});
