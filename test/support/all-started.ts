/**
 * Starts in parallel without leaks: waits for every start to settle, so the afterAll hook stops
 * each server that did start (each start assigns itself on success), then fails with the first
 * error. Promise.all would fail at once and leave the slower servers (detached process groups
 * that outlive vitest) running with no one to stop them.
 */
export async function allStarted(starts: Promise<unknown>[]): Promise<void> {
  const failed = (await Promise.allSettled(starts)).find((r) => r.status === "rejected");
  if (failed) throw failed.reason;
}
