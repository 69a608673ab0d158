/**
 * `wrangler dev` for the bench, started through wrangler's documented programmatic API
 * (`unstable_startWorker`, developers.cloudflare.com/workers/testing/unstable_startworker) so that
 * the runtime's inspector can be left off, which the command line cannot do.
 *
 * Why: `wrangler dev` connects its inspector proxy to every Worker it runs and enables the
 * DevTools `Runtime` domain there, whether or not a DevTools window is open. From then on each
 * `console.log` is also serialized as a DevTools event, sent over a WebSocket to the proxy (a
 * second `workerd` of the same process group), parsed there, and reported to wrangler as a debug
 * request. That is a cost per log line that only code which logs pays, and that production, where
 * no inspector is attached, does not have: measured on 200 concurrent one-token turns, edge-chat's
 * one log line per turn cost the runtime about 0.75 ms of CPU a turn with the inspector and about
 * 0.25 ms without (README, "Performance"). The floor logs nothing.
 *
 * Everything else is what the command line does: the same config, `--var`s as plain-text
 * bindings, one env file, the persistence directory, a port of the kernel's choosing, log level
 * info as before (a line per request, which every contender pays alike).
 *
 * `node bench/lib/dev-server.ts '<json of DevServerOptions>'`; runs until it is signalled.
 */
import { unstable_startWorker } from "wrangler";

export interface DevServerOptions {
  /** The wrangler.toml, absolute or relative to the working directory. */
  config: string;
  envFile: string;
  vars: Record<string, string>;
  persistDir: string;
}

const options = JSON.parse(process.argv[2] ?? "{}") as DevServerOptions;
const worker = await unstable_startWorker({
  config: options.config,
  envFiles: [options.envFile],
  bindings: Object.fromEntries(
    Object.entries(options.vars).map(([name, value]) => [name, { type: "plain_text", value }]),
  ),
  dev: {
    server: { hostname: "127.0.0.1", port: 0 },
    inspector: false,
    persist: options.persistDir,
    logLevel: "info",
  },
});
const url = await worker.url;
// wrangler prints its own `Ready on` too; this one is certain to come once the Worker serves.
console.log(`Ready on ${url.origin}`);
const stop = () => {
  worker.dispose().finally(() => process.exit(0));
};
process.on("SIGTERM", stop);
process.on("SIGINT", stop);
