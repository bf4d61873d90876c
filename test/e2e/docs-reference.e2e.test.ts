// /docs in a real browser: Scalar renders /openapi.json from this origin only, under the site's
// Content-Security-Policy, and every problem `type` (/docs#error-<CODE>) lands on its entry.
import { mkdirSync } from "node:fs";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { launchBrowser } from "./browser.ts";

const baseUrl = inject("baseUrl");
const SCREENSHOTS = "test-results/screenshots";
const VIEWPORT = { width: 1280, height: 900 };
/** The server-rendered page of JSON Schema dumps this replaced was about 63,000 px tall for
 *  60-odd operations, over 1,000 px each; the reference lists each in about 200. */
const MAX_PAGE_HEIGHT_PER_OPERATION = 300;

let browser: Browser;

beforeAll(async () => {
  browser = await launchBrowser();
  mkdirSync(SCREENSHOTS, { recursive: true });
});
afterAll(async () => {
  await browser?.close();
});

type Violation = { directive: string; blocked: string; source: string };

/** A page that records every request's origin, script error and CSP violation. */
async function openPage() {
  const page = await browser.newPage({ viewport: VIEWPORT });
  const origins = new Set<string>();
  const errors: string[] = [];
  page.on("request", (request) => origins.add(new URL(request.url()).origin));
  page.on("pageerror", (error) => errors.push(error.message));
  page.on("console", (message) => {
    // CSP refusals are checked one by one below, from the violation events.
    if (message.type() === "error" && !message.text().includes("Content Security Policy")) {
      errors.push(message.text());
    }
  });
  await page.addInitScript(() => {
    const violations: Violation[] = [];
    (window as unknown as { cspViolations: Violation[] }).cspViolations = violations;
    document.addEventListener("securitypolicyviolation", (event) =>
      violations.push({
        directive: event.effectiveDirective,
        blocked: event.blockedURI,
        source: event.sourceFile,
      }),
    );
  });
  const violations = () =>
    page.evaluate(() => (window as unknown as { cspViolations: Violation[] }).cspViolations);
  return { page, origins, errors, violations };
}

/** Waits until Scalar has rendered the document's introduction (its Markdown included). */
async function waitForReference(page: Page) {
  await page.getByRole("heading", { name: "Authentication" }).waitFor({ timeout: 20_000 });
}

describe("/docs in a real browser", () => {
  it("renders /openapi.json as a readable reference, offline, under the CSP", async () => {
    const { page, origins, errors, violations } = await openPage();
    const response = await page.goto(`${baseUrl}/docs`);
    expect(response?.headers()["content-security-policy"]).toContain("script-src 'self'");
    await waitForReference(page);

    // An operation opens from the sidebar with its summary, Markdown description and schema.
    await page.locator(".t-doc__sidebar").getByText("creations", { exact: true }).click();
    const create = page.getByRole("heading", { name: "Create a creation owned by the caller" });
    await create.waitFor({ state: "visible", timeout: 15_000 });
    await create.scrollIntoViewIfNeeded();
    await page.screenshot({ path: `${SCREENSHOTS}/docs.png` });

    // Markdown renders: code spans become <code>, nothing shows a literal backtick.
    const introduction = page.locator(".introduction-description");
    await expect
      .poll(() => introduction.locator("code", { hasText: "application/problem+json" }).count())
      .toBeGreaterThan(0);
    expect(await introduction.textContent()).not.toContain("`");
    const section = page.locator("section", { has: create }).first();
    expect(await section.locator("strong", { hasText: "Callers:" }).count()).toBe(1);
    // Not the raw JSON Schema of the old page: the body schema is a property list.
    expect(await page.locator("body").textContent()).not.toContain('"$schema"');
    expect(await page.locator("body").textContent()).not.toContain('"additionalProperties"');

    // Nothing left this origin: no CDN, fonts, telemetry or proxy.
    expect([...origins]).toEqual([baseUrl]);

    // Every anchor of the rendered page is usable in a URL.
    const ids = await page.evaluate(() =>
      Array.from(document.querySelectorAll("[id]"), (element) => element.id),
    );
    expect(ids.length).toBeGreaterThan(100);
    expect(ids.filter((id) => /\s/.test(id))).toEqual([]);

    // Scroll through to the end so every lazily rendered section is on the page.
    for (let i = 0; i < 40; i++) await page.mouse.wheel(0, VIEWPORT.height);
    await page.locator("#errors").scrollIntoViewIfNeeded();
    const height = await page.evaluate(() => document.documentElement.scrollHeight);
    expect(height).toBeGreaterThan(VIEWPORT.height);
    const openApi = (await (await fetch(`${baseUrl}/openapi.json`)).json()) as {
      paths: Record<string, Record<string, unknown>>;
    };
    const operations = Object.values(openApi.paths).flatMap((item) => Object.keys(item)).length;
    expect(height).toBeLessThan(operations * MAX_PAGE_HEIGHT_PER_OPERATION);

    // The CSP stays strict: no script or file is refused. What is refused is inline styling
    // Scalar also tries to inject (its stylesheet, theme and toast styles, which the page links
    // instead, and two layout probes) and zod's `Function("")` probe for eval support, after
    // which it validates without eval.
    const refused = await violations();
    expect(refused.filter(({ blocked }) => blocked !== "inline" && blocked !== "eval")).toEqual([]);
    for (const violation of refused) {
      expect(violation.source).toBe(`${baseUrl}/vendor/scalar/standalone.js`);
      expect(["style-src-elem", "style-src-attr", "script-src"]).toContain(violation.directive);
      if (violation.directive === "script-src") expect(violation.blocked).toBe("eval");
    }
    expect(errors).toEqual([]);
    await page.close();
  });

  it("scrolls /docs#error-INSUFFICIENT_CREDITS to that code's entry", async () => {
    const { page, origins } = await openPage();
    await page.goto(`${baseUrl}/docs#error-INSUFFICIENT_CREDITS`);
    const entry = page.locator("#error-INSUFFICIENT_CREDITS");
    // The reference renders above the catalogue after the load, so the entry must still be in
    // view once it has.
    await page.locator(".scalar-app").first().waitFor({ state: "attached", timeout: 20_000 });
    await expect
      .poll(() => entry.evaluate((row) => Math.round(row.getBoundingClientRect().top)), {
        timeout: 10_000,
      })
      .toBeGreaterThanOrEqual(0);
    await page.waitForTimeout(500);
    const top = await entry.evaluate((row) => row.getBoundingClientRect().top);
    expect(top).toBeGreaterThanOrEqual(0);
    expect(top).toBeLessThan(VIEWPORT.height / 3);
    expect(await page.evaluate(() => window.scrollY)).toBeGreaterThan(VIEWPORT.height);
    expect(await entry.textContent()).toMatch(/INSUFFICIENT_CREDITS\s*402\s*The wallet cannot pay/);
    expect(await page.evaluate(() => document.querySelector(":target")?.id)).toBe(
      "error-INSUFFICIENT_CREDITS",
    );
    await page.screenshot({ path: `${SCREENSHOTS}/docs-error-entry.png` });
    expect([...origins]).toEqual([baseUrl]);
    await page.close();
  });

  it("follows a real problem's type, and an error code linked from an operation, to its entry", async () => {
    const problem = (await (await fetch(`${baseUrl}/v1/me`)).json()) as { type: string };
    expect(problem.type).toBe("/docs#error-UNAUTHENTICATED");
    const inView = (page: Page, id: string) =>
      page.locator(`#${id}`).evaluate((row) => {
        const { top } = row.getBoundingClientRect();
        return top >= 0 && top < window.innerHeight / 3;
      });

    const first = await openPage();
    await first.page.goto(new URL(problem.type, baseUrl).href);
    await waitForReference(first.page);
    await expect
      .poll(() => inView(first.page, "error-UNAUTHENTICATED"), { timeout: 10_000 })
      .toBe(true);
    await first.page.close();

    // The deposit's description says when it answers 402 INSUFFICIENT_CREDITS, as a link.
    const { page, origins } = await openPage();
    await page.goto(`${baseUrl}/docs#tag/creation-wallets/POST/v1/creations/{id}/wallet/deposit`);
    const link = page.locator('a[href="/docs#error-INSUFFICIENT_CREDITS"]').first();
    await link.waitFor({ state: "visible", timeout: 15_000 });
    expect(await link.textContent()).toBe("INSUFFICIENT_CREDITS");
    await link.click();
    await expect
      .poll(() => inView(page, "error-INSUFFICIENT_CREDITS"), { timeout: 10_000 })
      .toBe(true);
    expect(new URL(page.url()).hash).toBe("#error-INSUFFICIENT_CREDITS");
    expect([...origins]).toEqual([baseUrl]);
    await page.close();
  });
});
