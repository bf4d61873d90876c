import { asList, asRecord, joinRoom, showProblem, slotOf, text } from "../shared/boot.js";

const TURN_SECONDS = 30;
const LINES = [
  [0, 1, 2],
  [3, 4, 5],
  [6, 7, 8],
  [0, 3, 6],
  [1, 4, 7],
  [2, 5, 8],
  [0, 4, 8],
  [2, 4, 6],
];
const room = joinRoom("game");
const me = () => room.user?.user_id;
const slot = (userId) => `/users/${encodeURIComponent(userId)}`;

/** Derives the game from the state: seats, every played turn, whose turn it is, the winner. */
function game() {
  const shared = asRecord(room.state.shared);
  const seats = asRecord(shared.seats);
  const skipped = asList(shared.skipped);
  const players = [seats.x, seats.o];
  const cells = Array(9).fill(null);
  const turns = new Map();
  players.forEach((player, seat) => {
    for (const move of asList(asRecord(slotOf(asRecord(room.state.users), player)).moves)) {
      const { turn, cell } = asRecord(move);
      if (Number.isInteger(turn) && Number.isInteger(cell) && cell >= 0 && cell < cells.length)
        turns.set(turn, { seat, cell });
    }
  });
  let turn = 0;
  for (;;) {
    if (skipped.includes(turn)) {
      turn++;
      continue;
    }
    const move = turns.get(turn);
    if (!move || move.seat !== turn % 2 || cells[move.cell] !== null) break;
    cells[move.cell] = move.seat === 0 ? "X" : "O";
    turn++;
  }
  const line = LINES.find(
    ([a, b, c]) => cells[a] && cells[a] === cells[b] && cells[a] === cells[c],
  );
  const winner = line ? cells[line[0]] : cells.every(Boolean) ? "draw" : null;
  return { seats, players, cells, turn, toMove: players[turn % 2], winner };
}

function render() {
  const { seats, cells, turn, toMove, winner } = game();
  document.querySelector("#seats").innerHTML =
    `X: ${text(seats.x ?? "—")} · O: ${text(seats.o ?? "—")}`;
  document.querySelector("#grid").innerHTML = cells
    .map(
      (cell, i) =>
        `<button type="button" data-cell="${i}" ${cell || winner || toMove !== me() ? "disabled" : ""}>${cell ?? ""}</button>`,
    )
    .join("");
  document.querySelector("#turn").textContent = winner
    ? winner === "draw"
      ? "A draw."
      : `${winner} wins.`
    : toMove
      ? `Turn ${turn + 1}: ${toMove === me() ? "your move" : `waiting for ${toMove}`}`
      : "Waiting for players.";
  document.querySelector("#sit").hidden =
    Boolean(seats.x && seats.o) || [seats.x, seats.o].includes(me());
  document.querySelector("#reset").hidden = !room.user?.privileged;
}

document.querySelector("#sit").addEventListener("click", () => {
  const { seats } = game();
  const seat = seats.x ? "o" : "x";
  room.patch([{ op: "set", path: `/shared/seats/${seat}`, value: me() }]).catch(showProblem);
});
document.querySelector("#grid").addEventListener("click", (event) => {
  const cell = Number(event.target.closest("[data-cell]")?.dataset.cell);
  const { turn, toMove, cells } = game();
  if (Number.isNaN(cell) || toMove !== me() || cells[cell]) return;
  room
    .patch([{ op: "append", path: `${slot(me())}/moves`, value: { turn, cell } }])
    .then(() => room.startTimer("turn", TURN_SECONDS))
    .catch(showProblem);
});
// The owner starts a new game: clears seats, moves and skipped turns (and lets players run timers).
document.querySelector("#reset").addEventListener("click", () => {
  const { players } = game();
  room
    .patch([
      { op: "set", path: "/shared/seats", value: {} },
      { op: "set", path: "/shared/skipped", value: [] },
      { op: "set", path: "/config/open_timers", value: true },
      ...players.filter(Boolean).map((player) => ({ op: "delete", path: `${slot(player)}/moves` })),
    ])
    .catch(showProblem);
});
// A fired turn timer costs the waiting player their turn (recorded once, whoever sees it first).
room.on("timer.fired", ({ name }) => {
  const { turn, winner } = game();
  if (name === "turn" && !winner && !asList(asRecord(room.state.shared).skipped).includes(turn)) {
    room.patch([{ op: "append", path: "/shared/skipped", value: turn }]).catch(showProblem);
  }
});
room.on("welcome", (welcome) => {
  if (welcome.user.privileged && room.state.config?.open_timers !== true) {
    room.patch([{ op: "set", path: "/config/open_timers", value: true }]).catch(showProblem);
  }
});
// One handler for every change of the state: the first welcome, each move, a reconnect.
room.on("state", render);
