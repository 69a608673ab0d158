/**
 * The setup most end-to-end files share: one scripted upstream and one `wrangler dev` in front of
 * it for the whole file, stopped (and its storage removed) after it; a failing test prints the
 * server's last log lines.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, beforeEach } from "vitest";
import { type ScriptedUpstream, startScriptedUpstream } from "./scripted-upstream";
import { type DevServer, startWranglerDev } from "./wrangler-dev";

export interface E2e {
  readonly upstream: ScriptedUpstream;
  readonly server: DevServer;
}

/** Registers the file's hooks; the server gets `vars(upstream)` (the upstream's URL is known only then). */
export function devServerPerFile(name: string, vars: (upstream: ScriptedUpstream) => Record<string, string>): E2e {
  let upstream: ScriptedUpstream | undefined;
  let server: DevServer | undefined;
  let persistDir: string | undefined;
  beforeAll(async () => {
    upstream = await startScriptedUpstream();
    persistDir = await mkdtemp(join(tmpdir(), `edge-chat-e2e-${name}-`));
    server = await startWranglerDev({ persistDir, vars: vars(upstream) });
  });
  afterAll(async () => {
    await server?.stop();
    await upstream?.close();
    if (persistDir) await rm(persistDir, { recursive: true, force: true });
  });
  beforeEach(({ onTestFailed }) => {
    onTestFailed(() =>
      console.error(`--- wrangler dev ${server?.url} (last lines) ---\n${server?.logs().slice(-6000)}`),
    );
  });
  return {
    get upstream() {
      return upstream!;
    },
    get server() {
      return server!;
    },
  };
}
