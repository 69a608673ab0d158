/** The SDK's SSE client transport, with two fixes it needs here. */
import { SSEClientTransport } from "@modelcontextprotocol/sdk/client/sse.js";
import type { JSONRPCMessage } from "@modelcontextprotocol/sdk/types.js";

/** How long closing waits for messages still being posted (a cancellation, say). */
const FLUSH_TIMEOUT_MS = 1_000;

/**
 * - Each server message delivered once. The `eventsource` package calls its `onmessage`/`onerror`
 *   handlers itself and then dispatches the event; workerd's `EventTarget` also calls `on<type>`
 *   properties on dispatch (cloudflare/workerd#7019, fixed only behind a flag), so in the Workers
 *   runtime every message reached the SDK twice: progress, logs, and server requests.
 * - Messages posted before `close()` are sent. The SDK's `close()` aborts the signal every POST
 *   carries, so the `notifications/cancelled` an abort sends just before the pool closes was cut
 *   off in flight and never reached the server (over streamable HTTP it is not).
 */
export class SSETransport extends SSEClientTransport {
  private readonly posting = new Set<Promise<void>>();

  override async start(): Promise<void> {
    await super.start();
    // `_eventSource` is private to the SDK: if it is ever gone, there is nothing to patch.
    const source = (this as unknown as { _eventSource?: Record<string, unknown> })._eventSource;
    if (source) for (const prop of ["onmessage", "onerror"]) oncePerEvent(source, prop);
  }

  override send(message: JSONRPCMessage): Promise<void> {
    const sent = super.send(message);
    const settled = sent.then(
      () => {},
      () => {},
    );
    this.posting.add(settled);
    void settled.finally(() => this.posting.delete(settled));
    return sent;
  }

  override async close(): Promise<void> {
    if (this.posting.size) {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const bound = new Promise<void>((resolve) => (timer = setTimeout(resolve, FLUSH_TIMEOUT_MS)));
      await Promise.race([Promise.all(this.posting), bound]);
      clearTimeout(timer);
    }
    await super.close();
  }
}

function oncePerEvent(target: Record<string, unknown>, prop: string): void {
  const handler = target[prop];
  if (typeof handler !== "function") return;
  let last: unknown;
  target[prop] = function (this: unknown, event: unknown) {
    if (event === last) return;
    last = event;
    return handler.call(this, event);
  };
}
