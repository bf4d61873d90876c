import { asList, asRecord, joinRoom, showProblem } from "../shared/boot.js";

const MAX_POINTS = 200; // keeps one stroke well inside a frame
const COLORS = ["#3b5bdb", "#e8590c", "#2b8a3e", "#c2255c", "#5f3dc4"];
const room = joinRoom("whiteboard");
const canvas = document.querySelector("#canvas");
const board = document.querySelector("#board");
const context = canvas.getContext("2d");
const cursors = new Map();

const colorOf = (userId) =>
  COLORS[[...userId].reduce((sum, c) => sum + c.charCodeAt(0), 0) % COLORS.length];

const isPoint = (point) =>
  Array.isArray(point) && Number.isFinite(point[0]) && Number.isFinite(point[1]);

/** Every stroke of every user, from each user's own slot of the state (only its points). */
function strokes() {
  return Object.entries(asRecord(room.state.users)).flatMap(([userId, slot]) =>
    asList(asRecord(slot).strokes)
      .map((stroke) => ({ userId, points: asList(stroke).filter(isPoint) }))
      .filter(({ points }) => points.length > 0),
  );
}

function render() {
  context.clearRect(0, 0, canvas.width, canvas.height);
  context.lineWidth = 3;
  context.lineCap = "round";
  for (const { userId, points } of [
    ...strokes(),
    ...(drawing ? [{ userId: room.user?.user_id ?? "", points: drawing }] : []),
  ]) {
    context.strokeStyle = colorOf(userId);
    context.beginPath();
    for (const [i, [x, y]] of points.entries()) {
      if (i === 0) context.moveTo(x, y);
      else context.lineTo(x, y);
    }
    context.stroke();
  }
  canvas.dataset.strokes = String(strokes().length);
  document.querySelector("#clear").hidden = !room.user?.privileged;
}

let drawing = null;
const point = (event) => {
  const box = canvas.getBoundingClientRect();
  return [Math.round(event.clientX - box.left), Math.round(event.clientY - box.top)];
};
canvas.addEventListener("pointerdown", (event) => {
  drawing = [point(event)];
  canvas.setPointerCapture(event.pointerId);
});
canvas.addEventListener("pointermove", (event) => {
  const [x, y] = point(event);
  room.cursor(x, y); // the SDK throttles cursors; a stroke's patch is never held up by them
  if (drawing && drawing.length < MAX_POINTS) {
    drawing.push([x, y]);
    render();
  }
});
canvas.addEventListener("pointerup", () => {
  if (!drawing || !room.user) return;
  const stroke = drawing.length > 1 ? drawing : [...drawing, drawing[0]];
  drawing = null;
  room
    .patch([
      {
        op: "append",
        path: `/users/${encodeURIComponent(room.user.user_id)}/strokes`,
        value: stroke,
      },
    ])
    .catch((error) => {
      showProblem(error);
      render(); // the refused stroke is gone from the board
    });
});

room.on("cursor", ({ user_id, x, y }) => {
  let dot = cursors.get(user_id);
  if (!dot) {
    dot = document.createElement("div");
    dot.className = "cursor";
    dot.dataset.cursor = user_id;
    dot.style.background = colorOf(user_id);
    board.append(dot);
    cursors.set(user_id, dot);
  }
  dot.style.left = `${x}px`;
  dot.style.top = `${y}px`;
});
room.on("presence.left", ({ user_id }) => {
  cursors.get(user_id)?.remove();
  cursors.delete(user_id);
});
room.on("state", render);

// The owner clears everyone's strokes; participants cannot write other users' slots.
document.querySelector("#clear").addEventListener("click", () => {
  const users = Object.keys(room.state.users ?? {});
  if (users.length === 0) return;
  room
    .patch(
      users.map((userId) => ({
        op: "delete",
        path: `/users/${encodeURIComponent(userId)}/strokes`,
      })),
    )
    .catch(showProblem);
});
