// Development-only sign-in for the examples. No credential ever goes into the page address
// (addresses end up in history, server logs and Referer headers): the page asks who you want
// to be, gets a short-lived token for that user id from POST /v1/dev/sign-in (open only where
// the server sets DEV_SIGN_IN=true, as `npm start` does), and keeps it in this tab's
// sessionStorage, so a reload stays signed in and another window can be someone else.
// A real app gets its users' tokens from its own sign-in instead.

const STORAGE_KEY = "troupe-examples-sign-in";
/** A token is renewed this long before it expires. */
const RENEW_BEFORE_EXPIRY_MS = 60_000;

function stored() {
  try {
    return JSON.parse(sessionStorage.getItem(STORAGE_KEY) ?? "null");
  } catch {
    return null;
  }
}

function store(value) {
  if (value) sessionStorage.setItem(STORAGE_KEY, JSON.stringify(value));
  else sessionStorage.removeItem(STORAGE_KEY);
}

/** Asks the server for a token for `userId`: the token, "off" when dev sign-in is closed, or
 * the problem's detail. */
async function mint(userId) {
  const response = await fetch("/v1/dev/sign-in", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ user_id: userId }),
  });
  if (response.status === 404) return { off: true };
  const body = await response.json().catch(() => ({}));
  if (!response.ok) return { problem: body.detail ?? `HTTP ${response.status}` };
  return { token: body.token, expiresAt: Date.parse(body.expires_at) };
}

/** Shows the sign-in form and resolves with what the visitor chose. */
function ask(note) {
  document.querySelector("#sign-in")?.remove();
  const section = document.createElement("section");
  section.className = "card";
  section.id = "sign-in";
  section.innerHTML = `<form>
      <label>Sign in as <input name="user" autocomplete="username" required maxlength="128"
        pattern="[!-~]+" placeholder="a user id, e.g. alice" /></label>
      <button type="submit" class="primary">Sign in</button>
      <button type="button" data-anonymous>Continue without signing in</button>
    </form>
    <p class="muted">Development sign-in: the server gives this tab a short-lived token for the
      user id you choose. Open another window to be someone else.</p>
    <p class="problem" data-sign-in-note></p>`;
  section.querySelector("[data-sign-in-note]").textContent = note ?? "";
  const header = document.querySelector("main > header");
  if (header) header.after(section);
  else document.querySelector("main")?.prepend(section);
  return new Promise((resolve) => {
    section.querySelector("form").addEventListener("submit", (event) => {
      event.preventDefault();
      resolve({ userId: section.querySelector("[name=user]").value.trim() });
    });
    section.querySelector("[data-anonymous]").addEventListener("click", () => {
      resolve({ anonymous: true });
    });
  }).finally(() => section.remove());
}

/**
 * The bearer token for this tab: the stored one while fresh, a renewed one for the same user,
 * or (first visit) one for whoever the visitor says they are. Null for an anonymous visitor,
 * who gets in only where the creation allows anonymous visitors.
 */
export async function currentToken() {
  let note = null;
  for (;;) {
    const session = stored();
    if (session?.anonymous) return null;
    if (session?.token && session.expiresAt - RENEW_BEFORE_EXPIRY_MS > Date.now()) {
      return session.token;
    }
    const choice = session?.userId ? { userId: session.userId } : await ask(note);
    if (choice.anonymous) {
      store({ anonymous: true });
      return null;
    }
    const minted = await mint(choice.userId);
    if (minted.token) {
      store({ userId: choice.userId, token: minted.token, expiresAt: minted.expiresAt });
      return minted.token;
    }
    // Ask again (a person answers each time, so this never spins on its own).
    store(null);
    note = minted.off
      ? "Development sign-in is off on this server (DEV_SIGN_IN is not true): continue without signing in."
      : `That did not work: ${minted.problem}`;
  }
}

/** The signed-in user id, if any. */
export function signedInAs() {
  return stored()?.userId ?? null;
}

/** Forgets the token; with `everything` also who the visitor is (they are asked again). */
export function signOut({ everything = true } = {}) {
  const session = stored();
  store(everything || !session?.userId ? null : { userId: session.userId });
}
