/**
 * A queue of fire-and-forget RPCs that must arrive in order (a session's summaries to its owner's
 * directory): each runs after the previous one, a failure is reported and never breaks the chain.
 */
export class OrderedUpdates {
  private chain: Promise<void> = Promise.resolve();

  constructor(
    /** Keeps the object alive until the update is done (`ctx.waitUntil`). */
    private readonly keepAlive: (p: Promise<void>) => void,
    private readonly onError: (err: unknown) => void,
  ) {}

  push(update: () => Promise<unknown>): Promise<void> {
    this.chain = this.chain
      .then(update)
      .then(() => undefined)
      .catch(this.onError);
    this.keepAlive(this.chain);
    return this.chain;
  }

  settled(): Promise<void> {
    return this.chain;
  }
}
