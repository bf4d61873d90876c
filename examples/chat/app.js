import { joinRoom, showProblem, text } from "../shared/boot.js";

const room = joinRoom("chat");
const messages = document.querySelector("#messages");
const presence = document.querySelector("#presence");

function renderMessage(message) {
  const item = document.createElement("li");
  item.dataset.message = message.id;
  item.innerHTML = `<strong>${text(message.user_id)}</strong> ${text(message.text)}`;
  messages.append(item);
}

function renderPresence() {
  presence.innerHTML = [...room.presence.values()]
    .map(
      (entry) =>
        `<li data-user="${text(entry.user_id)}">${text(entry.name ?? entry.user_id)}${entry.connections > 1 ? ` (${entry.connections} tabs)` : ""}</li>`,
    )
    .join("");
}

room.on("welcome", (welcome) => {
  messages.replaceChildren();
  for (const message of welcome.history) renderMessage(message);
  renderPresence();
});
room.on("chat.message", renderMessage);
for (const type of ["presence.joined", "presence.updated", "presence.left"])
  room.on(type, renderPresence);

document.querySelector("#send").addEventListener("submit", (event) => {
  event.preventDefault();
  const input = document.querySelector("#text");
  try {
    room.chat(input.value); // held while reconnecting; refused (QUEUE_FULL) past the SDK's bound
    input.value = "";
  } catch (error) {
    showProblem(error);
  }
});
