/**
 * Node HTTP pieces for tests that put a layer in front of a real server (the reference MCP
 * server): read a request's body, and pass a request on to the server, its answer back.
 */
import { type IncomingMessage, request, type ServerResponse } from "node:http";

export async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** Sends `req` (whose body was already read) on to `target`'s host, and its answer back on `res`. */
export function forward(target: URL, req: IncomingMessage, body: Buffer, res: ServerResponse): void {
  const out = request(
    {
      host: target.hostname,
      port: target.port,
      method: req.method,
      path: req.url,
      headers: { ...req.headers, host: target.host },
    },
    (upstreamRes) => {
      res.writeHead(upstreamRes.statusCode!, upstreamRes.headers);
      upstreamRes.pipe(res);
    },
  );
  out.on("error", () => res.destroy());
  res.on("close", () => out.destroy());
  out.end(body);
}
