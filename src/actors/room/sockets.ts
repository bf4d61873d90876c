// The room's hot path beside partyserver. partyserver checks that a socket is one of its
// connections by deserializing the socket's attachment: once per frame received and, in
// broadcast(), once per socket per frame sent. When everyone in a room talks at once that was
// the room's largest cost (bench/profile.mjs room). Every socket a room holds was accepted by
// partyserver as a connection, so the room answers both questions itself.

/** Sockets this instance has seen as connections (in onConnect, or wrapped by partyserver on
 *  their first frame after a wake-up); their frames skip partyserver's per-frame check. */
export class KnownSockets {
  private readonly sockets = new WeakSet<WebSocket>();

  add(socket: WebSocket): void {
    this.sockets.add(socket);
  }

  has(socket: WebSocket): boolean {
    return this.sockets.has(socket);
  }
}

/** Sends `message` to every open socket but `except`; returns how many it reached. */
export function sendToAll(ctx: DurableObjectState, message: string, except?: WebSocket): number {
  let sent = 0;
  for (const socket of ctx.getWebSockets()) {
    if (socket === except || socket.readyState !== WebSocket.OPEN) continue;
    try {
      socket.send(message);
      sent++;
    } catch {
      // A socket that cannot take a frame is broken: close it as partyserver would, so its
      // client reconnects and catches up instead of silently missing frames.
      socket.close(1011, "Unexpected error");
    }
  }
  return sent;
}
