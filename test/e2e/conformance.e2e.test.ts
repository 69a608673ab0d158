/**
 * The official MCP conformance suite (`@modelcontextprotocol/conformance`, pinned), every client
 * scenario of it against edge-chat through test/conformance/adapter.ts, each in a network
 * namespace of its own (`unshare --map-root-user --net`, only `lo` up; no root needed): the suite's test servers listen on all
 * interfaces, so nothing of theirs is reachable from outside the machine, and parallel scenarios
 * cannot see each other's ports. The scenarios edge-chat leaves out, and why, are in LEFT_OUT
 * (and the README).
 */
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { REPO_ROOT } from "../support/wrangler-dev";

const NODE = join(REPO_ROOT, "node_modules", ".bin", "node");
const SUITE = join(REPO_ROOT, "node_modules", "@modelcontextprotocol", "conformance", "dist", "index.js");
const ADAPTER = [
  NODE,
  "--experimental-strip-types",
  "--disable-warning=ExperimentalWarning",
  join(REPO_ROOT, "test", "conformance", "adapter.ts"),
];

/** Scenarios outside a chat backend's reach, with the reason (the README says the same). */
const LEFT_OUT: Record<string, string> = {
  "auth/cross-app-access-complete-flow":
    "Enterprise-managed authorization (SEP-990) exchanges the user's ID token from their identity provider for the MCP server's token; edge-chat's users sign in with API keys, so there is no ID token to exchange",
};

/** Inside the namespace: only loopback, and up (`ip` is in sbin, which a user's PATH may lack). */
const LO_UP = 'PATH="$PATH:/usr/sbin:/sbin" ip link set lo up';

/** Each scenario starts a `wrangler dev`: a few at a time on two cores. */
const PARALLEL = 3;
/** Per scenario, given to the suite (a wrangler start under load included). */
const SCENARIO_TIMEOUT_MS = 120_000;

function clientScenarios(): string[] {
  const out = execFileSync(NODE, [SUITE, "list"], { encoding: "utf8" });
  const section = out.slice(out.indexOf("Client scenarios"));
  return [...section.matchAll(/^\s+- (\S+)/gm)].map((m) => m[1]);
}

let slots = PARALLEL;
const queue: Array<() => void> = [];
async function slot<T>(run: () => Promise<T>): Promise<T> {
  if (slots === 0) await new Promise<void>((resolve) => queue.push(resolve));
  else slots--;
  try {
    return await run();
  } finally {
    const next = queue.shift();
    if (next) next();
    else slots++;
  }
}

const running = new Set<ChildProcess>();
let out: string;
let startedAt: number;

interface Check {
  id: string;
  status: string;
  description: string;
}

/** Runs one scenario in its own network namespace; resolves with the suite's exit code and output. */
function runScenario(name: string): Promise<{ code: number | null; output: string }> {
  const command = ADAPTER.join(" ");
  const child = spawn(
    "unshare",
    [
      // A user namespace too, so no root is needed: inside it we may bring `lo` up.
      "--map-root-user",
      "--net",
      "sh",
      "-c",
      `${LO_UP} && exec "$@"`,
      "sh",
      NODE,
      SUITE,
      "client",
      "--command",
      command,
      "--scenario",
      name,
      "--timeout",
      String(SCENARIO_TIMEOUT_MS),
      "-o",
      join(out, name.replace(/\//g, "_")),
    ],
    { cwd: REPO_ROOT, stdio: ["ignore", "pipe", "pipe"], detached: true },
  );
  running.add(child);
  let output = "";
  child.stdout!.on("data", (c: Buffer) => (output += c.toString("utf8")));
  child.stderr!.on("data", (c: Buffer) => (output += c.toString("utf8")));
  return new Promise((resolve) => {
    child.once("exit", (code) => {
      running.delete(child);
      resolve({ code, output });
    });
    child.once("error", (err) => resolve({ code: -1, output: `${output}\n${err.message}` }));
  });
}

/** The failed checks and the adapter's own lines, for a failure message a person can act on. */
async function explain(name: string): Promise<string> {
  const root = join(out, name.replace(/\//g, "_"));
  const lines: string[] = [];
  for (const dir of await readdir(root, { recursive: true }).catch(() => [] as string[])) {
    if (!dir.endsWith("checks.json")) continue;
    const checks = JSON.parse(await readFile(join(root, dir), "utf8")) as Check[];
    for (const c of checks)
      if (c.status === "FAILURE" || c.status === "WARNING") lines.push(`${c.status} ${c.id}: ${c.description}`);
    const stderr = await readFile(join(root, dir.replace("checks.json", "stderr.txt")), "utf8").catch(() => "");
    lines.push(...stderr.split("\n").filter((l) => l.startsWith("[adapter]")));
  }
  return lines.join("\n");
}

beforeAll(async () => {
  try {
    execFileSync("unshare", ["--map-root-user", "--net", "sh", "-c", LO_UP], { stdio: "pipe" });
  } catch (err) {
    throw new Error(
      `the conformance suite runs its servers inside a network namespace (unshare --map-root-user --net, and iproute2's ip): ${(err as Error).message}`,
    );
  }
  out = await mkdtemp(join(tmpdir(), "edge-chat-conformance-results-"));
  startedAt = Date.now();
});

afterAll(async () => {
  for (const child of running) if (child.pid) process.kill(-child.pid, "SIGKILL");
  console.info(`conformance: ${((Date.now() - startedAt) / 1000).toFixed(1)} s for every client scenario`);
  if (out) await rm(out, { recursive: true, force: true });
});

describe("the MCP conformance suite, client scenarios", () => {
  const scenarios = clientScenarios();

  it("lists the scenarios this adapter was written for, and leaves out only named ones", () => {
    expect(scenarios.length).toBe(26);
    for (const name of Object.keys(LEFT_OUT)) expect(scenarios).toContain(name);
  });

  describe.concurrent.each(scenarios.filter((s) => !LEFT_OUT[s]))("%s", (name) => {
    it(
      "passes",
      async () => {
        const { code, output } = await slot(() => runScenario(name));
        if (code !== 0)
          throw new Error(`scenario ${name} failed (exit ${code}):\n${await explain(name)}\n${output.slice(-2000)}`);
        expect(output).toMatch(/OVERALL: PASSED/);
      },
      SCENARIO_TIMEOUT_MS * 2,
    );
  });
});
