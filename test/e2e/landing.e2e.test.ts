import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { ERROR_CATALOGUE } from "../../src/shared/errors.ts";
import { launchBrowser } from "./browser.ts";

const baseUrl = inject("baseUrl");
let browser: Browser;

beforeAll(async () => {
  browser = await launchBrowser();
});
afterAll(async () => {
  await browser?.close();
});

describe("landing page in a real browser", () => {
  it("shows what troupe is and turns the health indicator green from GET /health", async () => {
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on("pageerror", (error) => errors.push(error.message));
    page.on("console", (message) => {
      if (message.type() === "error") errors.push(message.text());
    });
    const healthCalls: number[] = [];
    page.on("response", (response) => {
      if (new URL(response.url()).pathname === "/health") healthCalls.push(response.status());
    });

    await page.goto(`${baseUrl}/`);
    expect(await page.title()).toBe("troupe — the stateful backend for creation platforms");
    await expect.poll(() => page.textContent("#health"), { timeout: 10_000 }).toBe("healthy");
    expect(await page.getAttribute("#health", "class")).toBe("health health-ok");
    expect(healthCalls).toEqual([200]);
    expect(errors).toEqual([]);
    await page.close();
  });

  it("links to the API reference, which Scalar renders from this origin only", async () => {
    const page = await browser.newPage();
    const offHost: string[] = [];
    page.on("request", (request) => {
      if (!request.url().startsWith(baseUrl)) offHost.push(request.url());
    });
    await page.goto(`${baseUrl}/`);
    await page.click('a[href="/docs"]');
    await page.waitForURL((url) => url.pathname === "/docs");
    // Scalar's rendering of /openapi.json: the document's title, its Markdown introduction and
    // the operations grouped by tag in the sidebar.
    await page.getByRole("heading", { name: "troupe", exact: true }).waitFor({ timeout: 20_000 });
    await page.getByRole("heading", { name: "Authentication" }).waitFor();
    await page.getByRole("heading", { name: "Liveness of the router" }).waitFor();
    expect(await page.getByRole("button", { name: "Open Group - creations" }).count()).toBe(1);
    expect(await page.locator("#errors tr[id^='error-']").count()).toBe(
      Object.keys(ERROR_CATALOGUE).length,
    );
    expect(offHost).toEqual([]);
    await page.close();
  });

  it("links to the examples' index, which links to each of the six examples", async () => {
    const page = await browser.newPage();
    await page.goto(`${baseUrl}/`);
    await page.click('a[href="/examples/"]');
    await page.waitForURL((url) => url.pathname === "/examples/");
    const links = await page
      .locator("#examples a")
      .evaluateAll((anchors) => anchors.map((anchor) => (anchor as HTMLAnchorElement).pathname));
    expect(links).toEqual([
      "/examples/chat/",
      "/examples/poll/",
      "/examples/whiteboard/",
      "/examples/game/",
      "/examples/ai-chat/",
      "/examples/puzzle/",
    ]);
    for (const path of links) expect((await fetch(`${baseUrl}${path}`)).status).toBe(200);
    await page.close();
  });
});
