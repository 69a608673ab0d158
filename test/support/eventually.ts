/** Polls until `check` passes or the time is up: for effects recorded asynchronously (an upstream's log). */
export async function eventually<T>(check: () => T | Promise<T>, ms = 3000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    try {
      return await check();
    } catch (err) {
      if (Date.now() > end) throw err;
      await new Promise((r) => setTimeout(r, 25));
    }
  }
}
