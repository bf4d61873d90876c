// The AI chat example (examples/ai-chat/: a stock useChat from @ai-sdk/react) in Chromium
// against wrangler dev and its offline development model, which streams a scripted reply word
// by word: the reply streams in, a reload mid-reply resumes the same reply, and Stop keeps the
// partial one. What the page shows is checked against what the server stored.
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { launchBrowser } from "./browser.ts";
import { createCreation, devSignIn } from "./dev-identity.ts";

const baseUrl = inject("baseUrl");
const screenshots = fileURLToPath(new URL("../../test-results/screenshots/", import.meta.url));
const OWNER = "ai-chat-owner";
const FUNDED_CREDITS = 1_000;
/** How long one reply may take to stream (the dev model sends a word every 40 ms). */
const REPLY_MAX_MS = 20_000;
/** A message long enough that its echo streams for a few seconds: time to reload or stop. */
const LONG_MESSAGE = Array.from({ length: 60 }, (_, i) => `word${i}`).join(" ");

let browser: Browser;
let creationId: string;
let ownerToken: string;
/** Errors each open page has thrown. */
const pageErrors = new Map<Page, string[]>();

/** The development model's whole reply to `text` (src/ai/dev-model.ts, devReply). */
function devReply(text: string): string {
  return `You said: "${text}". This is troupe's development model: it streams this reply word by word, so you can watch it arrive, stop it, or reload the page and see it resume where it was. Set AI_PROVIDER to use a real model.`;
}

async function api<T>(path: string, init: RequestInit = {}): Promise<{ status: number; body: T }> {
  const response = await fetch(`${baseUrl}${path}`, {
    ...init,
    headers: {
      authorization: `Bearer ${ownerToken}`,
      "content-type": "application/json",
      ...init.headers,
    },
  });
  const text = await response.text();
  return { status: response.status, body: (text ? JSON.parse(text) : null) as T };
}

interface StoredMessage {
  id: string;
  role: string;
  parts: { type: string; text?: string }[];
  metadata?: { charged: number };
}

/** The chat as the server stored it. */
async function storedChat(chatId: string): Promise<StoredMessage[]> {
  const { status, body } = await api<{ messages: StoredMessage[] }>(
    `/v1/creations/${creationId}/chat/${chatId}`,
  );
  expect(status).toBe(200);
  return body.messages;
}

const textOf = (message: StoredMessage | undefined) =>
  (message?.parts ?? []).map((part) => (part.type === "text" ? part.text : "")).join("");

beforeAll(async () => {
  mkdirSync(screenshots, { recursive: true });
  browser = await launchBrowser();
  ownerToken = await devSignIn(baseUrl, OWNER);
  creationId = (await createCreation(baseUrl, ownerToken)).id;
  const deposit = await api(`/v1/creations/${creationId}/wallet/deposit`, {
    method: "POST",
    body: JSON.stringify({ amount: FUNDED_CREDITS }),
  });
  expect(deposit.status).toBe(200);
});
afterAll(async () => {
  await browser?.close();
});

/** A fresh tab on the example, signed in as `user`. */
async function openSignedIn(query: string, user: string): Promise<Page> {
  const page = await browser.newPage({ viewport: { width: 900, height: 800 } });
  const errors: string[] = [];
  pageErrors.set(page, errors);
  page.on("pageerror", (error) => errors.push(error.message));
  await page.goto(`${baseUrl}/examples/ai-chat/${query}`);
  await page.fill("#sign-in [name=user]", user);
  await page.click("#sign-in button[type=submit]");
  await page.waitForSelector("[data-status]:has-text('signed in as')");
  expect(await page.textContent("[data-status]")).toBe(`signed in as ${user}`);
  return page;
}

/** Opens the example on a new chat in a fresh tab, signed in as the creation's owner. */
async function openNewChat(): Promise<{ page: Page; chatId: string }> {
  const page = await openSignedIn(`?creation=${creationId}`, OWNER);
  await page.waitForSelector("#conversation[data-chat-status=ready]", { timeout: 15_000 });
  const chatId = /#chat=([\w-]+)$/.exec(page.url())?.[1];
  if (!chatId) throw new Error(`no chat id in ${page.url()}`);
  return { page, chatId };
}

async function send(page: Page, text: string): Promise<void> {
  await page.fill("#prompt", text);
  await page.click("#send button[type=submit]");
}

const assistant = (page: Page) => page.locator("#messages [data-role=assistant]");
/** The newest assistant message's text as shown, "" while there is none (never waits). */
const assistantText = async (page: Page) =>
  (await assistant(page).locator(".text").allTextContents()).at(-1) ?? "";

/** Watches the reply until it equals `full`: every text seen on the way, and whether there
 * was ever more than one assistant message. */
async function watchReply(page: Page, full: string) {
  const seen: string[] = [];
  let mostAssistantMessages = 0;
  const deadline = Date.now() + REPLY_MAX_MS;
  while (seen.at(-1) !== full) {
    if (Date.now() > deadline) {
      const status = await page.getAttribute("#conversation", "data-chat-status");
      throw new Error(`the reply stopped at ${JSON.stringify(seen.at(-1))}, status ${status}`);
    }
    const count = await assistant(page).count();
    mostAssistantMessages = Math.max(mostAssistantMessages, count);
    if (count > 0) seen.push(await assistantText(page));
  }
  return { seen, mostAssistantMessages };
}

/** Waits until the visible reply has at least `words` words. */
async function waitForWords(page: Page, words: number): Promise<string> {
  await expect
    .poll(async () => (await assistantText(page)).split(" ").length - 1, {
      timeout: REPLY_MAX_MS,
      interval: 20,
    })
    .toBeGreaterThanOrEqual(words);
  return assistantText(page);
}

async function expectNoProblems(page: Page): Promise<void> {
  expect(await page.locator("[data-chat-problem]").count()).toBe(0);
  expect(pageErrors.get(page)).toEqual([]);
}

describe("AI chat example (stock useChat, development model)", { timeout: 60_000 }, () => {
  it("streams a reply token by token, then shows what it cost and the wallet's balance", async () => {
    const { page, chatId } = await openNewChat();
    await expect.poll(() => page.textContent("[data-wallet-balance]")).toBe(`${FUNDED_CREDITS}`);
    const message = "hello from the browser";
    const full = devReply(message);
    await send(page, message);

    const { seen, mostAssistantMessages } = await watchReply(page, full);
    const growing = [...new Set(seen)].filter((text) => text.length > 0);
    // Several partial texts, each longer than the last and each the start of the reply.
    expect(growing.length).toBeGreaterThanOrEqual(5);
    for (const [i, text] of growing.entries()) {
      expect(full.startsWith(text)).toBe(true);
      if (i > 0) expect(text.length).toBeGreaterThan(growing[i - 1]?.length ?? 0);
    }
    expect(mostAssistantMessages).toBe(1);

    await page.waitForSelector("#conversation[data-chat-status=ready]", { timeout: REPLY_MAX_MS });
    const stored = await storedChat(chatId);
    expect(stored.map((m) => m.role)).toEqual(["user", "assistant"]);
    expect(textOf(stored[0])).toBe(message);
    expect(textOf(stored[1])).toBe(full);
    expect(await assistant(page).getAttribute("data-message-id")).toBe(stored[1]?.id);
    const charged = stored[1]?.metadata?.charged ?? -1;
    expect(charged).toBeGreaterThan(0);
    expect(await page.getAttribute("[data-charged]", "data-charged")).toBe(`${charged}`);
    // The balance came with the reply (a transient data-wallet part) and is the wallet's.
    const wallet = await api<{ balance: number }>(`/v1/creations/${creationId}/wallet`);
    expect(wallet.body.balance).toBe(FUNDED_CREDITS - charged);
    expect(await page.textContent("[data-wallet-balance]")).toBe(`${FUNDED_CREDITS - charged}`);
    await expectNoProblems(page);
    await page.screenshot({ path: join(screenshots, "ai-chat.png") });
    await page.close();
  });

  it("a reload mid-reply resumes the same reply to its end, shown once", async () => {
    const { page, chatId } = await openNewChat();
    const full = devReply(LONG_MESSAGE);
    await send(page, LONG_MESSAGE);
    const before = await waitForWords(page, 5);
    const messageId = await assistant(page).getAttribute("data-message-id");
    expect(full.startsWith(before)).toBe(true);

    await page.reload();
    expect(page.url()).toContain(`#chat=${chatId}`);
    const { seen, mostAssistantMessages } = await watchReply(page, full);
    // It was still streaming after the reload: the page saw part of the reply, then the rest.
    expect(seen.some((text) => text.length > 0 && text.length < full.length)).toBe(true);
    for (const text of seen) expect(full.startsWith(text)).toBe(true);
    expect(mostAssistantMessages).toBe(1);
    await page.waitForSelector("#conversation[data-chat-status=ready]", { timeout: REPLY_MAX_MS });
    expect(await assistant(page).getAttribute("data-message-id")).toBe(messageId);
    expect(await page.locator("#messages [data-role=user]").count()).toBe(1);

    const stored = await storedChat(chatId);
    expect(stored.map((m) => [m.role, m.id === messageId])).toEqual([
      ["user", false],
      ["assistant", true],
    ]);
    expect(textOf(stored[1])).toBe(full);

    // And from the stored history alone, after the reply ended.
    await page.reload();
    await page.waitForSelector("#conversation[data-chat-status=ready]", { timeout: REPLY_MAX_MS });
    expect(await assistant(page).count()).toBe(1);
    expect(await assistantText(page)).toBe(full);
    await expectNoProblems(page);
    await page.close();
  });

  it("a reply that ends while the page reloads is shown whole, not as the part read before", async () => {
    const { page, chatId } = await openNewChat();
    const full = devReply(LONG_MESSAGE);
    await send(page, LONG_MESSAGE);
    await waitForWords(page, 5);
    // The reloaded page reads the history mid-reply; its reconnect is held until the reply has
    // ended, so the server answers it 204 (nothing running).
    let releaseResume = () => {};
    const resumeHeld = new Promise<void>((resolve) => {
      releaseResume = resolve;
    });
    await page.route(`**/chat/${chatId}/stream`, async (route) => {
      await resumeHeld;
      await route.continue();
    });
    await page.reload();
    const shownBefore = await waitForWords(page, 1);
    expect(shownBefore.length).toBeLessThan(full.length);
    await expect
      .poll(async () => (await storedChat(chatId))[1]?.metadata !== undefined, {
        timeout: REPLY_MAX_MS,
      })
      .toBe(true);
    releaseResume();
    await expect.poll(() => assistantText(page), { timeout: REPLY_MAX_MS }).toBe(full);
    expect(await assistant(page).count()).toBe(1);
    await expectNoProblems(page);
    await page.close();
  });

  it("Stop keeps the partial reply, after a reload too, and the chat takes the next message", async () => {
    const { page, chatId } = await openNewChat();
    const full = devReply(LONG_MESSAGE);
    await send(page, LONG_MESSAGE);
    await waitForWords(page, 5);
    await page.click("#stop");
    await page.waitForSelector("#conversation[data-chat-status=ready]", { timeout: REPLY_MAX_MS });
    const partial = await assistantText(page);
    expect(partial.length).toBeGreaterThan(0);
    expect(partial.length).toBeLessThan(full.length);
    expect(full.startsWith(partial)).toBe(true);

    // Nothing is generating any more, and the server kept exactly what the page shows.
    const resume = await fetch(`${baseUrl}/v1/creations/${creationId}/chat/${chatId}/stream`, {
      headers: { authorization: `Bearer ${ownerToken}` },
    });
    expect(resume.status).toBe(204);
    const stored = await storedChat(chatId);
    expect(stored.map((m) => m.role)).toEqual(["user", "assistant"]);
    expect(textOf(stored[1])).toBe(partial);
    expect(await assistantText(page)).toBe(partial);
    expect(await page.getAttribute("[data-charged]", "data-charged")).toBe(
      `${stored[1]?.metadata?.charged}`,
    );

    await page.reload();
    await page.waitForSelector("#conversation[data-chat-status=ready]", { timeout: REPLY_MAX_MS });
    expect(await assistant(page).count()).toBe(1);
    expect(await assistantText(page)).toBe(partial);

    await send(page, "and now?");
    const next = devReply("and now?");
    await expect.poll(() => assistantText(page), { timeout: REPLY_MAX_MS }).toBe(next);
    expect(await assistant(page).count()).toBe(2);
    expect(await assistant(page).first().locator(".text").textContent()).toBe(partial);
    await expectNoProblems(page);
    await page.close();
  });

  it("starts from nothing: makes a creation, is refused (402) until it is funded, then chats", async () => {
    const page = await openSignedIn("", "ai-chat-newcomer");
    await page.click("#create-creation");
    await page.waitForSelector("#conversation[data-chat-status=ready]", { timeout: 15_000 });
    expect(page.url()).toMatch(/\/examples\/ai-chat\/\?creation=[0-9a-f-]{36}#chat=[\w-]+$/);
    await expect.poll(() => page.textContent("[data-wallet-balance]")).toBe("0");

    await send(page, "hi");
    await expect
      .poll(() => page.textContent("[data-chat-problem]"))
      .toMatch(/^INSUFFICIENT_CREATION_FUNDS: /);
    // Refused before anything was stored: the message is back in the input, not in the chat.
    expect(await page.locator("#messages li").count()).toBe(0);
    expect(await page.inputValue("#prompt")).toBe("hi");

    await page.click("#fund");
    await expect.poll(() => page.textContent("[data-wallet-balance]")).toBe("100");
    await page.click("#send button[type=submit]");
    await expect.poll(() => assistantText(page), { timeout: REPLY_MAX_MS }).toBe(devReply("hi"));
    await page.waitForSelector("#conversation[data-chat-status=ready]", { timeout: REPLY_MAX_MS });
    expect(await page.locator("#messages [data-role=user]").count()).toBe(1);
    const charged = Number(await page.getAttribute("[data-charged]", "data-charged"));
    expect(charged).toBeGreaterThan(0);
    expect(await page.textContent("[data-wallet-balance]")).toBe(`${100 - charged}`);
    await expectNoProblems(page);
    await page.close();
  });
});
