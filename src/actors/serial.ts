// Runs async steps of one actor one at a time. An actor's input gate lets other requests in
// while a step awaits another actor; steps that read, call out and then write (a token rotation)
// must not interleave with each other, though every other request may go on meanwhile.

export class Serial {
  private tail: Promise<unknown> = Promise.resolve();

  run<T>(step: () => Promise<T>): Promise<T> {
    const result = this.tail.then(step);
    // The next step waits for this one to settle, whether it succeeded or not.
    this.tail = result.catch(() => undefined);
    return result;
  }
}
