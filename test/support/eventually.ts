/**
 * Polls until `check` passes or the time is up: for effects recorded asynchronously (an upstream's
 * log). `everyMs`: the wait between tries (a check that is an API request counts against a
 * rate-limited key: 25 ms apart, 30 requests a minute last under a second).
 */
export async function eventually<T>(check: () => T | Promise<T>, ms = 3000, everyMs = 25): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    try {
      return await check();
    } catch (err) {
      if (Date.now() > end) throw err;
      await new Promise((r) => setTimeout(r, everyMs));
    }
  }
}
