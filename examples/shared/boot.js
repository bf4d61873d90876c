// Shared by the example pages: reads ?creation=<id> (and &room=<name>) from the address, signs
// in with the development sign-in (./sign-in.js: no credential is ever read from the address),
// joins the room with the public client SDK, and shows what the SDK reports.
import { connectRoom, ticketFetcher } from "/client/troupe.js";
import { currentToken, signOut } from "./sign-in.js";

/** A refused token is renewed without asking at most this often; after that the visitor is
 * asked to sign in again. */
const SILENT_RENEWAL_MIN_GAP_MS = 60_000;

export function joinRoom(defaultRoom) {
  const params = new URLSearchParams(location.search);
  if (params.has("token")) {
    // Old links carried a JWT here: never use it, and take it out of the address and history.
    params.delete("token");
    history.replaceState(null, "", `${location.pathname}?${params}`);
  }
  const creationId = params.get("creation");
  const room = params.get("room") ?? defaultRoom;
  if (!creationId) {
    document.body.innerHTML = `<main class="setup"><h1>Open this page with a creation</h1>
      <p>Add <code>?creation=&lt;creation id&gt;</code> to the address. See
      <code>examples/README.md</code> for the commands that make one.</p></main>`;
    throw new Error("no creation id in the address");
  }
  const options = { baseUrl: location.origin, creationId, room };
  const client = connectRoom({
    ...options,
    getTicket: ticketFetcher({ ...options, token: currentToken }),
  });
  const status = document.querySelector("[data-status]");
  client.on("status", ({ status: now }) => {
    document.body.dataset.connected = String(now === "connected");
    if (status && now !== "connected") status.textContent = `${now}…`;
  });
  client.on("welcome", (welcome) => {
    if (status) status.textContent = `connected as ${welcome.user.name ?? welcome.user.user_id}`;
  });
  let renewedAt = Number.NEGATIVE_INFINITY;
  client.on("error", (error) => {
    if (!error.needsCredentials) {
      showProblem(error);
      return;
    }
    // The client stopped: give it credentials again. An expired token is renewed for the same
    // user; anything else (or a second refusal soon after) asks who the visitor is.
    const silent =
      error.code === "TOKEN_EXPIRED" && Date.now() - renewedAt > SILENT_RENEWAL_MIN_GAP_MS;
    renewedAt = Date.now();
    signOut({ everything: !silent });
    client.reconnect();
  });
  return client;
}

/** Shows what went wrong (a refused patch, an error event) above the page's content. */
export function showProblem(error) {
  console.warn("room error", error.code, error.message);
  let line = document.querySelector("[data-problem]");
  if (!line) {
    line = document.createElement("p");
    line.className = "problem";
    line.dataset.problem = "";
    line.setAttribute("role", "alert");
    const header = document.querySelector("main > header");
    if (header) header.after(line);
    else document.querySelector("main")?.prepend(line);
  }
  line.textContent = `${error.code}: ${error.message}`;
}

// Any participant writes their own /users/<id> slot and anything under /shared, as any JSON:
// a page reads those as untrusted, taking only the shapes it expects, so one visitor's odd
// values cannot break the page for everyone else.

/** `value` when it is a list, otherwise an empty one. */
export function asList(value) {
  return Array.isArray(value) ? value : [];
}

/** `value` when it is a JSON object, otherwise an empty one. */
export function asRecord(value) {
  return value !== null && typeof value === "object" && !Array.isArray(value) ? value : {};
}

/** The slot `key` of a JSON object, never something inherited (`__proto__`, `constructor`). */
export function slotOf(record, key) {
  return typeof key === "string" && Object.hasOwn(record, key) ? record[key] : undefined;
}

/** Escapes text for innerHTML. */
export function text(value) {
  const span = document.createElement("span");
  span.textContent = String(value);
  return span.innerHTML;
}
