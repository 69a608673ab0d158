/** A runtime workaround for the SDK's SSE client transport inside workerd. */
import { SSEClientTransport } from "@modelcontextprotocol/sdk/client/sse.js";

/**
 * The SDK's SSE transport, each server message delivered once. The `eventsource` package calls its
 * `onmessage`/`onerror` handlers itself and then dispatches the event; workerd's `EventTarget` also
 * calls `on<type>` properties on dispatch (cloudflare/workerd#7019, fixed only behind a flag), so in
 * the Workers runtime every message reached the SDK twice: progress, logs, and server requests.
 */
export class SSETransport extends SSEClientTransport {
  override async start(): Promise<void> {
    await super.start();
    // `_eventSource` is private to the SDK: if it is ever gone, there is nothing to patch.
    const source = (this as unknown as { _eventSource?: Record<string, unknown> })._eventSource;
    if (source) for (const prop of ["onmessage", "onerror"]) oncePerEvent(source, prop);
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
