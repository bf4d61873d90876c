// Cipher Club: this week's cipher is free; a day pass (a "period" product) opens the archive of
// past ciphers with their solutions, and a hint pack (a "consumable" of 5 uses) reveals the
// hint ladder one hint per use. Only public routes and the buyer's own token: the catalog, the
// wallet, buying (then verifying the receipt), checking and using. The page keeps nothing of
// its own: every render comes from what the server answered, so a reload shows the same.
import { currentToken, signedInAs, signOut } from "../shared/sign-in.js";
import { ARCHIVE, CIPHER, HINTS } from "./content.js";

const PASS_SKU = "day_pass";
const HINTS_SKU = "hints";
/** A request that never reached the server is sent again this many times in all, with the same
 * client_operation_id or Idempotency-Key, so a retry never buys or uses twice. */
const REQUEST_MAX_ATTEMPTS = 3;
const RETRY_DELAY_MS = 400;
/** setTimeout's longest wait; a day pass ends well inside it. */
const TIMER_MAX_MS = 2 ** 31 - 1;

const creationId = new URLSearchParams(location.search).get("creation");
const scope = { scope_type: "creation", scope_id: creationId };
const $ = (selector) => document.querySelector(selector);

/** What the server said last: the catalog, the balance and the two entitlements. */
const state = { signedIn: false, products: new Map(), paymentsEnabled: false };
let expiryTimer;

/** A refused request, carrying the problem+json body (code, detail and its extra fields). */
class Problem extends Error {
  constructor(status, body) {
    super(body.detail ?? body.title ?? `HTTP ${status}`);
    this.status = status;
    this.code = body.code ?? "HTTP_ERROR";
    this.body = body;
  }
}

/** One JSON call as the signed-in buyer. A 401 gets one fresh token; a network failure is
 * retried with the same body and headers, which is what makes the retry safe. */
async function api(method, path, { body, headers = {} } = {}) {
  let renewed = false;
  for (let attempt = 1; ; attempt++) {
    const token = await currentToken();
    let response;
    try {
      response = await fetch(path, {
        method,
        headers: {
          ...(token ? { authorization: `Bearer ${token}` } : {}),
          ...(body ? { "content-type": "application/json" } : {}),
          ...headers,
        },
        body: body ? JSON.stringify(body) : undefined,
      });
    } catch {
      if (attempt >= REQUEST_MAX_ATTEMPTS) {
        throw new Problem(0, { code: "OFFLINE", detail: "The server could not be reached." });
      }
      await new Promise((resolve) => setTimeout(resolve, RETRY_DELAY_MS * attempt));
      continue;
    }
    const answer = await response.json().catch(() => ({}));
    if (response.status === 401 && token && !renewed) {
      renewed = true;
      signOut({ everything: false }); // the same user, a new token
      continue;
    }
    if (!response.ok) throw new Problem(response.status, answer);
    return answer;
  }
}

/** Reads everything the page shows from the server. */
async function refresh() {
  const catalog = await api("GET", `/v1/creations/${encodeURIComponent(creationId)}/products`);
  state.paymentsEnabled = catalog.payments_enabled;
  state.products = new Map(catalog.products.map((product) => [product.sku, product]));
  if (state.signedIn) {
    const id = encodeURIComponent(creationId);
    const [wallet, pass, mine] = await Promise.all([
      api("GET", "/v1/me/wallet"),
      api("GET", `/v1/me/entitlements/check?scope_type=creation&scope_id=${id}&sku=${PASS_SKU}`),
      // The list, not check: the hint ladder needs uses_total as well as uses_remaining.
      api("GET", `/v1/me/entitlements?scope_id=${id}`),
    ]);
    state.balance = wallet.balance;
    state.pass = pass;
    state.hints = mine.entitlements.find((entitlement) => entitlement.sku === HINTS_SKU) ?? null;
  }
  render();
}

/** Buys one of the creation's products, verifies the receipt, then reads the new state. */
async function buy(sku) {
  const product = state.products.get(sku);
  // One id per click, kept for the retries of this call only: a retry gets the first answer.
  const bought = await api("POST", "/v1/me/entitlements/purchase", {
    body: { ...scope, sku, client_operation_id: crypto.randomUUID() },
  });
  // In the body, not the address: addresses end up in logs.
  const receipt = await api("POST", "/v1/purchase-receipts/verify", {
    body: { token: bought.receipt },
  });
  const payload = receipt.payload;
  if (
    !receipt.valid ||
    payload.transaction_id !== bought.transaction_id ||
    payload.creation_id !== creationId ||
    payload.sku !== sku
  ) {
    // Never unlock on an answer whose receipt does not hold up.
    throw new Problem(0, {
      code: "RECEIPT_INVALID",
      detail: "The purchase's receipt did not verify, so nothing was unlocked.",
    });
  }
  await refresh();
  say(`Bought: ${product?.name ?? sku} for ${credits(payload.amount)}. Receipt verified.`);
}

/** Uses one hint from the pack; the server counts, the page only shows its answer. */
async function useHint() {
  state.hints = await api("POST", "/v1/me/entitlements/use", {
    body: { ...scope, sku: HINTS_SKU },
    headers: { "idempotency-key": crypto.randomUUID() },
  });
  render();
  say(`Hint ${hintsUsed()} revealed.`);
}

/** Runs one button's action: nothing else can be clicked meanwhile (a double click must not
 * buy twice), and a refusal is explained. */
async function act(action) {
  setBusy(true);
  say("");
  try {
    await action();
  } catch (error) {
    complain(error);
    await refresh().catch(() => {}); // the server's state may have moved (another tab)
  } finally {
    setBusy(false);
  }
}

function complain(error) {
  $("#problem").textContent = explain(error);
}

/** What a refusal means for the buyer, in words. */
function explain({ code, message, body = {} }) {
  switch (code) {
    case "INSUFFICIENT_CREDITS":
      return `Not enough credits: this costs ${credits(body.required)} and your wallet has ${credits(body.balance)} (${credits(body.shortfall)} short).`;
    case "ENTITLEMENT_EXHAUSTED":
      return "Your hint pack is used up: buy another pack to see the next hint.";
    case "ENTITLEMENT_NOT_FOUND":
      return "Buy a hint pack first.";
    case "PAYMENTS_NOT_ENABLED":
      return "Cipher Club is not taking payments at the moment.";
    case "PRODUCT_NOT_FOUND":
      return "That is no longer for sale.";
    default:
      return `${code}: ${message}`;
  }
}

function say(message) {
  $("#message").textContent = message;
  if (message) $("#problem").textContent = "";
}

function setBusy(busy) {
  $("main").setAttribute("aria-busy", String(busy));
  for (const button of document.querySelectorAll("[data-action]")) button.disabled = busy;
  if (!busy) render(); // restores the buttons' own disabled states
}

const credits = (amount) => `${Number(amount).toLocaleString("en")} credits`;
const hintsUsed = () => (state.hints ? state.hints.uses_total - state.hints.uses_remaining : 0);

function render() {
  renderWallet();
  renderHints();
  renderArchive();
}

function renderWallet() {
  $("[data-status]").textContent = state.signedIn
    ? `signed in as ${signedInAs()}`
    : "browsing without signing in";
  $("#wallet").hidden = !state.signedIn || state.balance === undefined;
  if ($("#wallet").hidden) return;
  $("#balance").textContent = credits(state.balance);
  $("#balance").dataset.balance = String(state.balance);
}

function renderHints() {
  const shown = Math.min(hintsUsed(), HINTS.length);
  const left = state.hints?.uses_remaining ?? 0;
  const list = $("#hints");
  list.replaceChildren(
    ...HINTS.slice(0, shown).map((hint) =>
      Object.assign(document.createElement("li"), { textContent: hint }),
    ),
  );
  list.hidden = shown === 0;
  $("#hints-left").textContent = state.hints
    ? `${left} ${left === 1 ? "hint" : "hints"} left`
    : "no hint pack yet";
  $("#hints-left").dataset.left = String(left);
  const reveal = $("#reveal");
  // Shown at 0 left too: only the server knows (another tab may have bought more).
  reveal.hidden = !state.hints;
  reveal.disabled = shown === HINTS.length;
  reveal.textContent = shown === HINTS.length ? "You have seen every hint" : "Reveal the next hint";
  const pack = state.products.get(HINTS_SKU);
  offer($("#buy-hints"), pack, left === 0, `Buy ${pack?.uses_total} hints`);
  $("#hints-offer").textContent = left === 0 ? offerText(pack) : "";
}

function renderArchive() {
  const open = Boolean(state.pass?.active);
  $("#archive").replaceChildren(...ARCHIVE.map((entry) => archiveEntry(entry, open)));
  $("#archive-section").dataset.unlocked = String(open);
  $("#pass-until").textContent = open
    ? `Day pass until ${new Date(state.pass.expires_at).toLocaleString("en-GB", { dateStyle: "medium", timeStyle: "short" })}`
    : "";
  const pass = state.products.get(PASS_SKU);
  $("#locked").hidden = open;
  $("#pass-offer").textContent = offerText(pass);
  offer($("#buy-pass"), pass, !open, "Buy a day pass");
  // Look again when the pass ends, so the archive closes without a reload.
  clearTimeout(expiryTimer);
  const endsInMs = open ? Date.parse(state.pass.expires_at) - Date.now() : Number.NaN;
  if (endsInMs > 0 && endsInMs < TIMER_MAX_MS) {
    expiryTimer = setTimeout(() => act(refresh), endsInMs + 1000);
  }
}

/** A past cipher: its title for everyone, the solution only with an active day pass. */
function archiveEntry(entry, open) {
  const item = document.createElement("li");
  const title = document.createElement("h3");
  title.textContent = `No. ${entry.number} · ${entry.title}`;
  const ciphertext = Object.assign(document.createElement("p"), {
    className: "ciphertext small",
    textContent: entry.ciphertext,
  });
  item.append(title, ciphertext);
  if (!open) {
    const locked = Object.assign(document.createElement("p"), {
      className: "muted lock",
      textContent: "Solution: with a day pass",
    });
    item.append(locked);
    return item;
  }
  const solution = Object.assign(document.createElement("p"), {
    className: "solution",
    textContent: entry.solution,
  });
  solution.dataset.solution = "";
  item.append(solution, Object.assign(document.createElement("p"), { textContent: entry.method }));
  return item;
}

/** A buy button with the catalog's price, shown when it makes sense and it is for sale. */
function offer(button, product, wanted, label) {
  const forSale = Boolean(product) && state.paymentsEnabled;
  button.hidden = !wanted || !forSale;
  if (!forSale) return;
  button.textContent = state.signedIn
    ? `${label} · ${credits(product.price)}`
    : `Sign in to buy · ${credits(product.price)}`;
}

/** What is on offer, or why nothing is. */
function offerText(product) {
  if (!product || !state.paymentsEnabled) return "Not on sale at the moment.";
  return product.description;
}

function checkAnswer(event) {
  event.preventDefault();
  const normal = (text) =>
    text
      .toUpperCase()
      .replace(/[^A-Z ]/g, "")
      .replace(/\s+/g, " ")
      .trim();
  const right = CIPHER.answers.includes(normal($("#answer [name=answer]").value));
  $("#verdict").textContent = right
    ? `Solved! ${CIPHER.solved}`
    : "Not quite. Try again, or take a hint.";
  $("#verdict").className = right ? "verdict right" : "verdict";
}

function buyOrSignIn(sku) {
  if (state.signedIn) return act(() => buy(sku));
  signOut(); // forget "without signing in": the reload asks who you are
  location.reload();
}

async function start() {
  if (!creationId) {
    $("main").innerHTML = `<h1>Open this page with a creation</h1>
      <p>Add <code>?creation=&lt;creation id&gt;</code> to the address; the example's README
      shows how to make one that sells a day pass and hints.</p>`;
    return;
  }
  $("#answer").addEventListener("submit", checkAnswer);
  $("#buy-pass").addEventListener("click", () => buyOrSignIn(PASS_SKU));
  $("#buy-hints").addEventListener("click", () => buyOrSignIn(HINTS_SKU));
  $("#reveal").addEventListener("click", () => act(useHint));
  state.signedIn = (await currentToken()) !== null;
  await act(refresh);
  document.body.dataset.ready = "true";
}

start();
