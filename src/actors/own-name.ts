// An actor serves the one name it was created for (the name passed to getByName, stored on
// first use); a call naming another is a routing bug, never a client's mistake.

export function assertOwnName(kind: string, stored: string, requested: string): void {
  if (stored !== requested) {
    throw new Error(`This ${kind} actor is "${stored}", not "${requested}".`);
  }
}
