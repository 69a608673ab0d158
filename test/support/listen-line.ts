/**
 * Test and bench servers bind port 0 and say in their output where they listen; this finds that
 * line. Probing for a free port and handing it over instead is a race: between the probe's close
 * and the server's bind, another process (a parallel test run, say) can take the port.
 *
 * Imported by the bench too (plain Node, type stripping): node: imports only, erasable syntax only.
 */
import type { Readable } from "node:stream";
import { StringDecoder } from "node:string_decoder";
import { stripVTControlCharacters } from "node:util";

/** `wrangler dev`, once it serves; printed again on a reload, so only the first counts. */
export const WRANGLER_READY = /Ready on (https?:\/\/\S+)/;

/** Printed by the preload `bind-loopback.mjs` when a server of the process starts listening. */
export const LOOPBACK_LISTENING = /bind-loopback: listening on (\S+):(\d+)/;

/** A line longer than this without a newline is not one of the above; keep memory bounded. */
const MAX_PARTIAL_CHARS = 16_384;

/**
 * Watches `streams` line by line (colour codes removed) for the first match of `pattern`; returns
 * a getter, so a start-up loop that also checks for exits and deadlines can poll it.
 */
export function firstMatch(streams: Readable[], pattern: RegExp): () => RegExpExecArray | undefined {
  let found: RegExpExecArray | undefined;
  for (const stream of streams) {
    const decoder = new StringDecoder("utf8");
    let partial = "";
    const onData = (chunk: Buffer) => {
      const lines = (partial + decoder.write(chunk)).split("\n");
      partial = (lines.pop() ?? "").slice(-MAX_PARTIAL_CHARS);
      for (const line of lines) found ??= pattern.exec(stripVTControlCharacters(line)) ?? undefined;
      if (found) stream.off("data", onData);
    };
    stream.on("data", onData);
  }
  return () => found;
}
