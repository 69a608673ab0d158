/**
 * 5. Tool round trip: what one MCP tool call (the reference server's `echo`) adds to a turn in
 * edge-chat — a turn whose model calls the tool, less a plain turn with the same final answer —
 * beside the same call made directly from Node with the MCP SDK, on a connection already open
 * (warm) and on a new one (cold: connect + initialize + call, as a turn does). The second upstream
 * request a tool step needs is replayed directly too, so edge-chat's own part can be told apart.
 */
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { script } from "../../test/support/scripted-upstream.ts";
import { type Bench, clearSession, Deadline, directBody, native, resetUpstreamLog } from "../lib/bench.ts";
import { jsonRequest } from "../lib/client.ts";
import { differences, rotation, type Summary, summarize } from "../lib/stats.ts";

export interface ToolsResult {
  /** The model-facing name edge-chat gave the reference server's echo tool. */
  tool: string;
  rounds: number;
  errors: Record<string, number>;
  /** A turn with no tool call (one upstream request), ms. */
  plainTurn: Summary;
  /** A turn whose model calls the tool once, then answers (two upstream requests), ms. */
  toolTurn: Summary;
  /** toolTurn − plainTurn, round by round: the latency one tool call adds, ms. */
  added: Summary;
  /** `callTool` from Node on an open connection, ms. */
  sdkWarmCall: Summary;
  /** connect + initialize + `callTool` from Node, ms. */
  sdkColdCall: Summary;
  /** The tool step's second upstream request, sent directly, ms. */
  upstreamStep: Summary;
  /**
   * added − sdkWarmCall − upstreamStep, round by round: what is left of the round trip once the
   * call (on an open connection, as a session's turns make it) and the model's own time for the
   * extra request are taken out, ms. The runtime's cost of making those two requests is in it.
   */
  edgeOwn: Summary;
}

const clientInfo = { name: "edge-chat-bench", version: "1.0.0" };

async function connect(url: string): Promise<Client> {
  const client = new Client(clientInfo);
  await client.connect(new StreamableHTTPClientTransport(new URL(url)));
  return client;
}

export async function measureTools(b: Bench): Promise<ToolsResult> {
  const server = b.edgeMcp;
  const mcp = b.mcp;
  if (!server || !mcp) throw new Error("the tools section needs edge-chat with MCP_SERVERS and the reference server");
  const { iterations, warmup } = b.sizes.tools;

  const listed = await jsonRequest("GET", `${server.url}/api/tools`, undefined, b.sizes.requestTimeoutMs);
  const tools = (listed.body?.tools ?? []) as Array<{ name: string; server?: string }>;
  const echo = tools.find((t) => t.server === "everything" && /(^|__)echo$/.test(t.name));
  if (!echo)
    throw new Error(
      `no echo tool from the reference server in GET /api/tools: ${JSON.stringify(tools.map((t) => t.name))}`,
    );

  const message = "bench round trip";
  const answer = `Tool results: Echo: ${message}`;
  const session = `${b.runId}-tools`;
  const warmClient = await connect(mcp.url);
  const samples: Record<"plain" | "tool" | "warm" | "cold" | "step", number[]> = {
    plain: [],
    tool: [],
    warm: [],
    cold: [],
    step: [],
  };
  const errors: Record<string, number> = { plain: 0, tool: 0, warm: 0, cold: 0 };
  const deadline = new Deadline(b.sizes.sectionLimitMs);
  let rounds = 0;
  try {
    for (let i = 0; i < warmup + iterations && !deadline.passed; i++) {
      await clearSession(server, b, session);
      await resetUpstreamLog(b);
      const marker = `${session}-${i}`;
      const round: Record<string, number> = {};
      const kinds = ["plain", "tool", "warm", "cold"] as const;
      for (const kind of rotation([...kinds], i)) {
        let ms = NaN;
        try {
          if (kind === "plain" || kind === "tool") {
            const directive =
              kind === "plain"
                ? script({ text: answer })
                : script({ steps: [{ toolCalls: [{ id: `call_${i}`, name: echo.name, arguments: { message } }] }] });
            const r = await native(server, b, session, `${marker}-${kind} ${directive}`);
            if (!r.ok || r.text !== answer) throw new Error(r.error ?? `answer ${JSON.stringify(r.text)}`);
            ms = r.totalMs;
          } else {
            const t0 = performance.now();
            const client = kind === "warm" ? warmClient : await connect(mcp.url);
            const result = await client.callTool({ name: "echo", arguments: { message } });
            ms = performance.now() - t0;
            if (kind === "cold") await client.close();
            if (result.isError) throw new Error(JSON.stringify(result.content));
          }
        } catch (err) {
          if (errors[kind]++ === 0) b.log(`tools ${kind}: ${err instanceof Error ? err.message : String(err)}`);
        }
        round[kind] = ms;
      }
      // The tool turn's second request to the model (the one carrying the tool result), directly.
      const second = b.upstream.requests().find((q) => {
        const messages = (q.body?.messages ?? []) as Array<{ role: string; content?: string }>;
        return (
          messages.some((m) => m.role === "tool") &&
          messages.some((m) => m.role === "user" && String(m.content).includes(`${marker}-tool`))
        );
      });
      const step = second ? await directBody(b, second.body) : undefined;
      round.step = step?.ok ? step.totalMs : NaN;
      if (i >= warmup) {
        for (const k of Object.keys(samples) as Array<keyof typeof samples>) samples[k].push(round[k]);
        rounds++;
      }
    }
  } finally {
    await warmClient.close().catch(() => {});
  }
  const added = differences(samples.tool, samples.plain);
  return {
    tool: echo.name,
    rounds,
    errors,
    plainTurn: summarize(samples.plain),
    toolTurn: summarize(samples.tool),
    added: summarize(added),
    sdkWarmCall: summarize(samples.warm),
    sdkColdCall: summarize(samples.cold),
    upstreamStep: summarize(samples.step),
    edgeOwn: summarize(ownPart(samples)),
  };
}

/**
 * Round by round, what a tool call adds less the SDK's call on an open connection and the
 * model's own time for the step's extra request. The open connection, not a new one: a
 * session's turns keep theirs (src/mcp/keep.ts), so a turn pays no `initialize`.
 */
export function ownPart(s: Record<"plain" | "tool" | "warm" | "step", number[]>): number[] {
  return s.tool.map((t, i) => t - s.plain[i] - s.warm[i] - s.step[i]);
}
