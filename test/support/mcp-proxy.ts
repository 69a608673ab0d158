/**
 * A recording HTTP proxy in front of a real MCP server, in Node: every request is forwarded (SSE
 * streams included) and noted with its JSON-RPC method and params, so a test can see the bytes a
 * client sent, and fail chosen requests (something the Workers-runtime tests cannot arrange).
 */
import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { forward, readBody } from "./forward";

export interface Seen {
  method: string;
  path: string;
  rpc?: string;
  /** The JSON-RPC id of a request (none for a notification). */
  id?: number | string;
  params?: any;
  headers: IncomingHttpHeaders;
}

/** Answers with `status` (instead of forwarding) while `decide` says so. */
export type Decide = (req: Seen) => number | undefined;

export interface McpProxy {
  /** The target's URL with the proxy's origin. */
  url: string;
  seen: Seen[];
  /** Requests still open (an SSE stream counts until it ends). */
  open(): number;
  setDecide(d: Decide): void;
  close(): Promise<void>;
}

export async function startProxy(target: string): Promise<McpProxy> {
  const upstream = new URL(target);
  const seen: Seen[] = [];
  let decide: Decide = () => undefined;
  let open = 0;
  const server: Server = createServer(async (req, res) => {
    open++;
    res.on("close", () => open--);
    const body = await readBody(req);
    let message: { method?: string; id?: number | string; params?: unknown } = {};
    try {
      message = JSON.parse(body.toString("utf8"));
    } catch {
      // Not JSON-RPC (GET, DELETE).
    }
    const entry: Seen = {
      method: req.method!,
      path: req.url!,
      rpc: message.method,
      id: message.id,
      params: message.params,
      headers: req.headers,
    };
    seen.push(entry);
    const status = decide(entry);
    if (status !== undefined) {
      res.writeHead(status, { "content-type": "text/plain" }).end(`injected ${status}`);
      return;
    }
    forward(upstream, req, body, res);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}${upstream.pathname}`,
    seen,
    open: () => open,
    setDecide: (d) => (decide = d),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
