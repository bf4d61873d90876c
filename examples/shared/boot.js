// Shared by the example pages: reads ?creation=<id>&token=<jwt> (token optional when the
// creation allows anonymous visitors), then joins the room with the public client SDK.
import { connectRoom, ticketFetcher } from "/client/troupe.js";

export function joinRoom(defaultRoom) {
  const params = new URLSearchParams(location.search);
  const creationId = params.get("creation");
  const token = params.get("token");
  const room = params.get("room") ?? defaultRoom;
  if (!creationId) {
    document.body.innerHTML = `<main class="setup"><h1>Open this page with a creation</h1>
      <p>Add <code>?creation=&lt;creation id&gt;&amp;token=&lt;user JWT&gt;</code> to the address.
      See <code>examples/README.md</code> for the two commands that make both.</p></main>`;
    throw new Error("no creation id in the address");
  }
  const options = { baseUrl: location.origin, creationId, room };
  const client = connectRoom({
    ...options,
    getTicket: ticketFetcher({ ...options, token: () => token }),
  });
  const status = document.querySelector("[data-status]");
  client.on("welcome", (welcome) => {
    if (status) status.textContent = `connected as ${welcome.user.name ?? welcome.user.user_id}`;
    document.body.dataset.connected = "true";
  });
  client.on("error", (error) => console.warn("room error", error.code, error.message));
  return client;
}

/** Escapes text for innerHTML. */
export function text(value) {
  const span = document.createElement("span");
  span.textContent = String(value);
  return span.innerHTML;
}
