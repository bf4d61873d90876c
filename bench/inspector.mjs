// The V8 inspector of the bench Worker's isolate (the router and every actor run in it under
// `wrangler dev`), for CPU profiles (bench/profile.mjs). A sample lands on whatever JavaScript
// runs when the thread is busy, so time the runtime spends on its own work (sending frames
// queued earlier, say) is charged to the next JavaScript function: read self times of the
// first function of a handler with that in mind.

const SAMPLING_INTERVAL_US = 100;

/** A minimal Chrome DevTools Protocol client over the inspector's WebSocket. */
export async function connectInspector(port) {
  const targets = await (await fetch(`http://127.0.0.1:${port}/json`)).json();
  // The inspector proxy admits local origins only; a Node client sends none by itself.
  const socket = new WebSocket(targets[0].webSocketDebuggerUrl, {
    headers: { origin: "http://localhost" },
  });
  await new Promise((resolve, reject) => {
    socket.addEventListener("open", resolve, { once: true });
    socket.addEventListener("error", () => reject(new Error("inspector refused")), { once: true });
  });
  let nextId = 1;
  const pending = new Map();
  socket.addEventListener("message", (event) => {
    const message = JSON.parse(String(event.data));
    if (message.id && pending.has(message.id)) {
      pending.get(message.id)(message.result);
      pending.delete(message.id);
    }
  });
  const send = (method, params = {}) => {
    const id = nextId++;
    socket.send(JSON.stringify({ id, method, params }));
    return new Promise((resolve) => pending.set(id, resolve));
  };
  await send("Profiler.enable");
  await send("Profiler.setSamplingInterval", { interval: SAMPLING_INTERVAL_US });
  return {
    send,
    close: () => socket.close(),
  };
}
