// The usage dashboard (/dashboard/usage/, built from dashboard/usage/) in Chromium against
// wrangler dev. A creation gets three tiers and real tracked calls from eleven end users —
// one refused at the free tier's limit and then upgraded, one retried with the same
// idempotency key — and test calls through a test secret key. The owner signs in on the page,
// which must show exactly what was counted: the figures, each tier's calls and users, the
// stacked bars per tier (read back from the chart's canvas and its legend), the top users in
// order with paging, the tiers, test usage apart from live, and empty and refused states.
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { launchBrowser } from "./browser.ts";
import { devSignIn } from "./dev-identity.ts";

const baseUrl = inject("baseUrl");
const screenshots = fileURLToPath(new URL("../../test-results/screenshots/", import.meta.url));
const OWNER = "usage-owner";
const DASHBOARD = "/dashboard/usage/";
/** The page's top users page size (USAGE_TOP_USERS_PAGE_DEFAULT). */
const PAGE_SIZE = 10;
/** The dashboard's tier colours, in tier order (dashboard/usage/format.ts). */
const TIER_COLOURS = { free: "#4e79a7", pro: "#f28e2b", team: "#59a14f" };

const TIERS = [
  { id: "free", name: "Free", price: 0, limit: 5, features: ["5 forecasts a month"] },
  {
    id: "pro",
    name: "Pro",
    price: 9,
    limit: 500,
    popular: true,
    rate_limit_per_minute: 60,
    features: ["500 forecasts a month", "Hourly data"],
  },
  { id: "team", name: "Team", price: 49, limit: null, features: ["Unlimited forecasts"] },
];

/** Calls each user makes, in track calls of `quantity`, on the plan they are put on first. */
const LIVE_CALLS: { user: string; plan: string; calls: number[] }[] = [
  { user: "margaret", plan: "team", calls: [50, 50, 20] },
  { user: "linus", plan: "team", calls: [75] },
  { user: "ada", plan: "pro", calls: [30] },
  { user: "bob", plan: "pro", calls: [20, 1] },
  { user: "cy", plan: "pro", calls: [8] },
  { user: "tom", plan: "free", calls: [1, 1, 1, 1, 1] },
  { user: "uma", plan: "free", calls: [1, 1, 1, 1] },
  { user: "vic", plan: "free", calls: [1, 1, 1] },
  { user: "wes", plan: "free", calls: [1, 1] },
  { user: "xia", plan: "free", calls: [1] },
];
/** grace: 5 calls on free, a sixth refused at its limit, then Pro and 28 more. */
const GRACE_FREE_CALLS = 5;
const GRACE_PRO_CALLS = 28;

/** What the dashboard must show for the live month. */
const EXPECTED = {
  total: 332,
  uniqueUsers: 11,
  byTier: {
    free: { calls: 20, users: 5 },
    pro: { calls: 117, users: 4 },
    team: { calls: 195, users: 2 },
  },
  top: [
    ["margaret", "Team", "120"],
    ["linus", "Team", "75"],
    ["ada", "Pro", "60"],
    ["grace", "Pro", "33"],
    ["bob", "Pro", "21"],
    ["cy", "Pro", "8"],
    ["tom", "Free", "5"],
    ["uma", "Free", "4"],
    ["vic", "Free", "3"],
    ["wes", "Free", "2"],
    ["xia", "Free", "1"],
  ],
};
const TEST_CALLS = 3;

let browser: Browser;
let ownerToken: string;
let creationId: string;
let emptyCreationId: string;
let creationToken: string;
/** The UTC month the calls were counted in, YYYY-MM, and its day of today. */
let period: string;
let today: string;
/** Errors and CSP violations each page reported. */
const pageErrors = new Map<Page, string[]>();

async function api<T>(
  path: string,
  init: { method?: string; body?: unknown; token?: string; headers?: Record<string, string> } = {},
): Promise<{ status: number; body: T }> {
  const response = await fetch(`${baseUrl}${path}`, {
    method: init.method ?? "GET",
    headers: {
      authorization: `Bearer ${init.token ?? ownerToken}`,
      "content-type": "application/json",
      ...init.headers,
    },
    body: init.body === undefined ? null : JSON.stringify(init.body),
  });
  const text = await response.text();
  return { status: response.status, body: (text ? JSON.parse(text) : null) as T };
}

interface TrackAnswer {
  success: boolean;
  usage: { count: number; limit: number | null; plan: string; periodStart: string };
  code?: string;
}

/** Tracks `quantity` calls of `user` with the creation's rct_ token (or `headers`). */
async function track(
  user: string,
  quantity: number,
  options: { idempotencyKey?: string; headers?: Record<string, string> } = {},
) {
  return api<TrackAnswer>(`/v1/creations/${creationId}/usage/track`, {
    method: "POST",
    token: creationToken,
    headers: options.headers,
    body: {
      user_id: user,
      quantity,
      ...(options.idempotencyKey ? { idempotency_key: options.idempotencyKey } : {}),
    },
  });
}

async function createCreation(name: string): Promise<{ id: string; token: string }> {
  const created = await api<{ id: string; token: string }>("/v1/creations", {
    method: "POST",
    body: { name },
  });
  expect(created.status).toBe(201);
  return created.body;
}

async function setPlan(user: string, plan: string): Promise<void> {
  const set = await api(`/v1/creations/${creationId}/users/${user}/plan`, {
    method: "PUT",
    body: { plan },
  });
  expect(set.status).toBe(200);
}

beforeAll(async () => {
  mkdirSync(screenshots, { recursive: true });
  browser = await launchBrowser();
  ownerToken = await devSignIn(baseUrl, OWNER);
  // The newest creation is the one the dashboard opens on.
  emptyCreationId = (await createCreation("Quiet corner")).id;
  ({ id: creationId, token: creationToken } = await createCreation("Weather API"));
  const tiers = await api(`/v1/creations/${creationId}/tiers`, {
    method: "PUT",
    body: { tiers: TIERS },
  });
  expect(tiers.status).toBe(200);

  for (const { user, plan, calls } of LIVE_CALLS) {
    if (plan !== "free") await setPlan(user, plan);
    for (const quantity of calls) {
      const tracked = await track(user, quantity);
      expect(tracked.status).toBe(200);
      period = tracked.body.usage.periodStart.slice(0, 7);
    }
  }
  // ada's second 30, sent twice with one idempotency key: counted once.
  const batch = await track("ada", 30, { idempotencyKey: "ada-batch-2" });
  expect([batch.status, batch.body.usage.count]).toEqual([200, 60]);
  const retried = await track("ada", 30, { idempotencyKey: "ada-batch-2" });
  expect([retried.status, retried.body.usage.count]).toEqual([200, 60]);

  for (let i = 0; i < GRACE_FREE_CALLS; i++) expect((await track("grace", 1)).status).toBe(200);
  const refused = await track("grace", 1);
  expect(refused.status).toBe(403);
  expect(refused.body.code).toBe("TIER_LIMIT_REACHED");
  await setPlan("grace", "pro");
  expect((await track("grace", GRACE_PRO_CALLS)).status).toBe(200);

  // Test usage, through a test secret key: counted apart from live usage.
  const key = await api<{ key: string }>(`/v1/creations/${creationId}/keys`, {
    method: "POST",
    body: { kind: "secret", mode: "test", name: "staging" },
  });
  expect(key.status).toBe(201);
  const tested = await track("qa-bot", TEST_CALLS, {
    headers: { authorization: `Bearer ${key.body.key}` },
  });
  expect(tested.status).toBe(200);
  today = new Date().toISOString().slice(0, 10);
});
afterAll(async () => {
  await browser?.close();
});

/** A fresh tab on the dashboard (`query` appended), signed in as `user`. */
async function openDashboard(user: string, query = ""): Promise<Page> {
  const page = await browser.newPage({
    viewport: { width: 1200, height: 900 },
    locale: "en-US",
  });
  const errors: string[] = [];
  pageErrors.set(page, errors);
  page.on("pageerror", (error) => errors.push(error.message));
  page.on("console", (message) => {
    // A refused style or script (CSP) is reported as a console error.
    if (message.type() === "error") errors.push(message.text());
  });
  page.on("request", (request) => {
    if (!request.url().startsWith(baseUrl)) errors.push(`off-origin request ${request.url()}`);
  });
  await page.goto(`${baseUrl}${DASHBOARD}${query}`);
  await page.fill("#sign-in [name=user]", user);
  await page.click("#sign-in button[type=submit]");
  await page.waitForSelector("[data-status]:has-text('signed in as')");
  expect(await page.textContent("[data-status]")).toBe(`signed in as ${user}`);
  return page;
}

const text = async (page: Page, selector: string) =>
  ((await page.textContent(selector)) ?? "").replace(/\s+/g, " ").trim();

/** The texts of each cell of the table rows `selector` finds. */
async function cells(page: Page, selector: string): Promise<string[][]> {
  return page
    .locator(selector)
    .evaluateAll((rows) =>
      rows.map((row) =>
        Array.from(row.children, (cell) => (cell.textContent ?? "").replace(/\s+/g, " ").trim()),
      ),
    );
}

/** Waits until the report for `mode` is on the page and no reading is under way. */
async function waitForReport(page: Page, mode: "live" | "test", month = period): Promise<void> {
  await page.waitForSelector(
    `#report[data-period="${month}"][data-mode="${mode}"][data-reading=false]`,
  );
}

/** The top users table as [user, tier, calls] rows. */
async function topUsers(page: Page): Promise<string[][]> {
  return page
    .locator("#top-users tbody tr")
    .evaluateAll((rows) =>
      rows.map((row) => [
        row.getAttribute("data-user") ?? "",
        row.querySelector("[data-cell=plan]")?.textContent?.trim() ?? "",
        row.querySelector("[data-cell=calls]")?.textContent?.trim() ?? "",
      ]),
    );
}

/** Colours (#rrggbb) of the chart canvas's opaque pixels, and how many of each. */
async function canvasColours(page: Page): Promise<Record<string, number>> {
  return page.locator(".chart canvas").evaluate((canvas) => {
    const context = (canvas as HTMLCanvasElement).getContext("2d");
    if (!context) return {};
    const { data } = context.getImageData(0, 0, canvas.clientWidth, canvas.clientHeight);
    const colours: Record<string, number> = {};
    for (let i = 0; i < data.length; i += 4) {
      if (data[i + 3] !== 255) continue;
      const hex = `#${[data[i], data[i + 1], data[i + 2]]
        .map((channel) => (channel ?? 0).toString(16).padStart(2, "0"))
        .join("")}`;
      colours[hex] = (colours[hex] ?? 0) + 1;
    }
    return colours;
  });
}

describe("usage dashboard", { timeout: 60_000 }, () => {
  it("is linked from the landing page and asks who is signing in", async () => {
    const page = await browser.newPage();
    await page.goto(`${baseUrl}/`);
    await page.click(`a[href="${DASHBOARD}"]`);
    await page.waitForURL((url) => url.pathname === DASHBOARD);
    await page.waitForSelector("#sign-in [name=user]");
    expect(await page.title()).toBe("Usage — troupe");
    await page.close();
  });

  it("shows the owner's month exactly as counted: figures, chart, tiers, top users with paging", async () => {
    const page = await openDashboard(OWNER);
    await waitForReport(page, "live");
    // The newest creation, the current UTC month, live usage: and the address says so.
    expect(await page.inputValue("#creation")).toBe(creationId);
    expect(await page.inputValue("#period")).toBe(period);
    expect(await page.isChecked("input[name=mode][value=live]")).toBe(true);
    expect(new URL(page.url()).search).toBe(`?creation=${creationId}`);
    const creationNames = await page.locator("#creation option").allTextContents();
    expect(creationNames).toEqual([
      `Weather API · ${creationId.slice(0, 8)}`,
      `Quiet corner · ${emptyCreationId.slice(0, 8)}`,
    ]);

    // The figures.
    expect(await text(page, "[data-figure=total]")).toBe(`${EXPECTED.total}`);
    expect(await text(page, "[data-figure=unique-users]")).toBe(`${EXPECTED.uniqueUsers}`);
    const todayLabel = new Intl.DateTimeFormat("en-US", {
      month: "short",
      day: "numeric",
      timeZone: "UTC",
    }).format(new Date(`${today}T00:00:00Z`));
    expect(await text(page, "[data-figure=busiest-day]")).toBe(
      `${EXPECTED.total} on ${todayLabel}`,
    );
    const todayWeekday = new Intl.DateTimeFormat("en-US", {
      weekday: "short",
      month: "short",
      day: "numeric",
      timeZone: "UTC",
    }).format(new Date(`${today}T00:00:00Z`));
    const dayOfMonth = Number(today.slice(8));
    expect(await text(page, "[data-figure=daily-average]")).toBe(
      new Intl.NumberFormat("en-US").format(Math.round((EXPECTED.total / dayOfMonth) * 10) / 10),
    );

    // Calls per tier, and every tier as set.
    for (const [plan, { calls, users }] of Object.entries(EXPECTED.byTier)) {
      const row = `.tier-totals tr[data-plan=${plan}]`;
      expect(await text(page, `${row} [data-cell=calls]`)).toBe(`${calls}`);
      expect(await text(page, `${row} [data-cell=users]`)).toBe(`${users}`);
    }
    expect(await text(page, ".tier-totals tr[data-plan=team] [data-cell=share]")).toBe("58.7%");
    expect(await cells(page, ".tier-totals tfoot tr")).toEqual([
      ["All tiers", `${EXPECTED.total}`, "100%", `${EXPECTED.uniqueUsers}`, ""],
    ]);
    const tiers = await cells(page, ".tiers tbody tr");
    expect(tiers).toEqual([
      ["Free free default", "Free", "5 calls a user", "Deployment default", "5 forecasts a month"],
      [
        "Pro pro popular",
        "$9.00/mo",
        "500 calls a user",
        "60 a minute",
        "500 forecasts a month · Hourly data",
      ],
      ["Team team", "$49.00/mo", "Unlimited", "Deployment default", "Unlimited forecasts"],
    ]);
    expect(await page.locator("#default-tiers").count()).toBe(0);

    // The chart: uPlot drew a bar for today, stacked free, pro, team, each in its colour.
    await page.waitForSelector(".chart[data-rendered=true] canvas");
    const colours = await canvasColours(page);
    for (const colour of Object.values(TIER_COLOURS))
      expect(colours[colour] ?? 0).toBeGreaterThan(50);
    expect(await page.locator(".chart .u-legend .u-series th").allTextContents()).toEqual([
      "Day",
      "Free",
      "Pro",
      "Team",
      "All tiers",
    ]);
    // Hovering today's bar puts the day's own count per tier in the legend.
    const over = await page.locator(".chart .u-over").boundingBox();
    if (!over) throw new Error("the chart has no plotting area");
    const days = await page.locator(".days tbody tr").count();
    await page.mouse.move(
      over.x + ((dayOfMonth - 0.5) / days) * over.width,
      over.y + over.height - 5,
    );
    await expect
      .poll(() => page.locator(".chart .u-legend .u-series .u-value").allTextContents())
      .toEqual([
        todayWeekday,
        `${EXPECTED.byTier.free.calls}`,
        `${EXPECTED.byTier.pro.calls}`,
        `${EXPECTED.byTier.team.calls}`,
        `${EXPECTED.total}`,
      ]);
    // The same day in the table under the chart.
    expect(await cells(page, `.days tr[data-day="${today}"]`)).toEqual([
      [
        todayWeekday,
        `${EXPECTED.total}`,
        `${EXPECTED.byTier.free.calls}`,
        `${EXPECTED.byTier.pro.calls}`,
        `${EXPECTED.byTier.team.calls}`,
      ],
    ]);

    // Top users: most calls first, ten a page; grace is on Pro now, tom used all of Free.
    expect(await topUsers(page)).toEqual(EXPECTED.top.slice(0, PAGE_SIZE));
    expect(await text(page, "#top-users caption")).toBe("Users 1–10, most calls first");
    expect(await text(page, "#top-users tr[data-user=tom] [data-cell=limit]")).toBe("5 of 5");
    expect(await text(page, "#top-users tr[data-user=grace] [data-cell=limit]")).toBe("33 of 500");
    expect(await text(page, "#top-users tr[data-user=margaret] [data-cell=limit]")).toBe(
      "unlimited",
    );
    expect(await page.isDisabled("#top-users-previous")).toBe(true);
    await page.mouse.move(0, 0);
    await page.screenshot({ path: join(screenshots, "usage-dashboard.png"), fullPage: true });

    await page.click("#top-users-next");
    await page.waitForSelector("#top-users [data-page='2']");
    expect(await topUsers(page)).toEqual(EXPECTED.top.slice(PAGE_SIZE));
    expect(await text(page, "#top-users caption")).toBe("Users 11–11, most calls first");
    expect(await page.isDisabled("#top-users-next")).toBe(true);
    await page.click("#top-users-previous");
    await page.waitForSelector("#top-users [data-page='1']");
    expect(await topUsers(page)).toEqual(EXPECTED.top.slice(0, PAGE_SIZE));

    // A call made while the page is open shows on Refresh, which starts the list afresh.
    await page.click("#top-users-next");
    await page.waitForSelector("#top-users [data-page='2']");
    expect((await track("xia", 1)).status).toBe(200);
    await page.click("#refresh");
    await expect.poll(() => text(page, "[data-figure=total]")).toBe(`${EXPECTED.total + 1}`);
    await waitForReport(page, "live");
    expect(await text(page, ".tier-totals tr[data-plan=free] [data-cell=calls]")).toBe(
      `${EXPECTED.byTier.free.calls + 1}`,
    );
    expect(await page.getAttribute("#top-users [data-page]", "data-page")).toBe("1");
    // xia's 2 ties wes's: the one first by id comes first.
    expect((await topUsers(page)).slice(-1)).toEqual([["wes", "Free", "2"]]);
    await page.click("#top-users-next");
    await page.waitForSelector("#top-users [data-page='2']");
    expect(await topUsers(page)).toEqual([["xia", "Free", "2"]]);

    expect(pageErrors.get(page)).toEqual([]);
    await page.close();
  });

  it("shows test usage apart from live, keeps the choice in the address, and empty months and creations read well", async () => {
    const page = await openDashboard(OWNER);
    await waitForReport(page, "live");
    await page.click("label:has(input[name=mode][value=test])");
    await waitForReport(page, "test");
    expect(await text(page, "[data-figure=total]")).toBe(`${TEST_CALLS}`);
    expect(await text(page, "[data-figure=unique-users]")).toBe("1");
    expect(await topUsers(page)).toEqual([["qa-bot", "Free", `${TEST_CALLS}`]]);
    expect(new URL(page.url()).search).toBe(`?creation=${creationId}&mode=test`);
    await page.reload();
    await waitForReport(page, "test");
    expect(await text(page, "[data-figure=total]")).toBe(`${TEST_CALLS}`);

    // The month before: nothing yet, said in words, with how calls get counted.
    await page.click("label:has(input[name=mode][value=live])");
    await waitForReport(page, "live");
    await page.click("button[aria-label='Previous month']");
    const before = new Date(`${period}-01T00:00:00Z`);
    before.setUTCMonth(before.getUTCMonth() - 1);
    const previous = before.toISOString().slice(0, 7);
    await waitForReport(page, "live", previous);
    expect(await text(page, "[data-figure=total]")).toBe("0");
    expect(await text(page, "#no-usage strong")).toMatch(/^No calls in \w+ \d{4}$/);
    expect(await page.locator(".chart").count()).toBe(0);
    expect(await text(page, "#top-users .empty")).toMatch(/^No user made a call in /);
    expect(await page.isDisabled("button[aria-label='Next month']")).toBe(false);
    await page.click("button[aria-label='Next month']");
    await waitForReport(page, "live");
    expect(await page.isDisabled("button[aria-label='Next month']")).toBe(true);

    // A creation without usage or tiers of its own: seed 002's default tiers, said so.
    await page.selectOption("#creation", emptyCreationId);
    await page.waitForSelector("#no-usage");
    await waitForReport(page, "live");
    expect(await text(page, "#no-usage pre")).toContain(
      `/v1/creations/${emptyCreationId}/usage/track`,
    );
    expect(await text(page, "#default-tiers")).toContain("These are the default tiers.");
    expect(pageErrors.get(page)).toEqual([]);
    await page.close();

    // Someone who owns nothing is told how to make a creation.
    const newcomer = await openDashboard("usage-newcomer");
    await newcomer.waitForSelector("#no-creations");
    expect(await text(newcomer, "#no-creations h2")).toBe("No creations yet");
    expect(pageErrors.get(newcomer)).toEqual([]);
    await newcomer.close();
  });

  it("shows the problem's code and detail when the usage is not the visitor's to read", async () => {
    const stranger = "usage-stranger";
    const refused = await api<{ code: string; detail: string }>(
      `/v1/creations/${creationId}/usage?period=${period}&mode=live&meter=api_calls&limit=${PAGE_SIZE}`,
      { token: await devSignIn(baseUrl, stranger) },
    );
    expect(refused.status).toBe(403);
    const page = await openDashboard(stranger, `?creation=${creationId}`);
    await page.waitForSelector("#usage-problem");
    expect(await text(page, "#usage-problem")).toBe(`${refused.body.code}: ${refused.body.detail}`);
    expect(await text(page, "#creation option")).toBe(`${creationId} (not one of yours)`);
    // The refusal is the page's answer, not a page error (the browser logs the 403 itself).
    expect(pageErrors.get(page)?.filter((error) => !/status of 403/.test(error))).toEqual([]);
    await page.close();
  });
});
