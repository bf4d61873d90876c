// The usage dashboard's entry: signs in with the development sign-in the examples use (a
// short-lived token in this tab's sessionStorage, never in the address), then shows the signed-in
// owner's usage. Bundled by scripts/build-client.mjs into public/dashboard/usage/main.js, with
// uPlot's stylesheet (imported below) into main.css: the pages' CSP allows scripts and styles
// from this origin only.

import "uplot/dist/uPlot.min.css";
import { createRoot } from "react-dom/client";
import { currentToken, signedInAs, signOut } from "../../examples/shared/sign-in.js";
import { Dashboard } from "./dashboard.tsx";

function SignedOut() {
  return (
    <section className="card" id="signed-out">
      <p>The usage dashboard shows the creations you own: sign in as their owner.</p>
      <button type="button" className="primary" onClick={switchUser}>
        Sign in
      </button>
    </section>
  );
}

function switchUser() {
  signOut();
  location.reload();
}

const container = document.querySelector("#root");
if (!container) throw new Error("the page has no #root");
const token = await currentToken();
const status = document.querySelector("[data-status]");
if (status) status.textContent = token ? `signed in as ${signedInAs()}` : "not signed in";
const switchButton = document.querySelector<HTMLButtonElement>("#switch-user");
if (switchButton && token) {
  switchButton.hidden = false;
  switchButton.addEventListener("click", switchUser);
}
createRoot(container).render(token ? <Dashboard /> : <SignedOut />);
