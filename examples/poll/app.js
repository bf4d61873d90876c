import { asList, asRecord, joinRoom, showProblem, slotOf, text } from "../shared/boot.js";

const DEFAULT_POLL = { question: "What's for lunch?", options: ["Pizza", "Sushi", "Tacos"] };
const room = joinRoom("poll");

function render() {
  const poll = asRecord(asRecord(room.state.config).poll ?? DEFAULT_POLL);
  const users = asRecord(room.state.users);
  const votes = Object.values(users).map((slot) => asRecord(slot).vote);
  const mine = asRecord(slotOf(users, room.user?.user_id)).vote;
  document.querySelector("#question").textContent = poll.question;
  document.querySelector("#options").innerHTML = asList(poll.options)
    .map((option) => {
      const count = votes.filter((vote) => vote === option).length;
      return `<li><button type="button" data-option="${text(option)}" class="${option === mine ? "primary" : ""}">${text(option)}</button>
        <span data-count="${text(option)}">${count}</span></li>`;
    })
    .join("");
}

// One handler for every change of the state: the first welcome, each vote, a reconnect.
room.on("state", render);
document.querySelector("#options").addEventListener("click", (event) => {
  const option = event.target.closest("[data-option]")?.dataset.option;
  if (!option || !room.user) return;
  room
    .patch([
      { op: "set", path: `/users/${encodeURIComponent(room.user.user_id)}/vote`, value: option },
    ])
    .catch(showProblem);
});
