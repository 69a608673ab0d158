/**
 * Every turn's figures as production sees them: the `Server-Timing` header, one structured log
 * line, and one Analytics Engine row (the binding of wrangler.toml, spied on inside the session
 * object, since the local stand-in keeps nothing to read back).
 */
import { env, runInDurableObject } from "cloudflare:test";
import { afterEach, describe, expect, it, vi } from "vitest";
import { LOCAL_OWNER } from "../../src/http/context";
import { sessionStub } from "../../src/session/address";
import { call, eventually, script, uniqueId } from "./helpers";

const SERVER_TIMING = /^edge;dur=\d+(\.\d)?;desc="edge-chat before headers"$/;
const SECRETS = ["sk-test-server-key-0123456789", "mcp-secret-header-value", "sk-backup-provider-key"];

afterEach(() => {
  vi.restoreAllMocks();
});

/** The turn log lines printed so far, parsed. */
function turnLines(log: { mock: { calls: unknown[][] } }): Array<{ text: string; fields: any }> {
  return log.mock.calls
    .map((args) => String(args[0]))
    .filter((text) => text.startsWith('{"message":"turn"'))
    .map((text) => ({ text, fields: JSON.parse(text) }));
}

describe("turn metrics", () => {
  it("answers a turn's stream, a whole answer and an error with Server-Timing", async () => {
    const sid = uniqueId();
    const stream = await call("/api/chat/stream", { json: { session_id: sid, content: `${sid} hi` } });
    expect(stream.status).toBe(200);
    expect(stream.headers.get("server-timing")).toMatch(SERVER_TIMING);
    await stream.text();

    const whole = await call("/v1/chat/completions", {
      json: { model: "gpt-4", messages: [{ role: "user", content: `${sid} again` }] },
    });
    expect(whole.status).toBe(200);
    expect(whole.headers.get("server-timing")).toMatch(SERVER_TIMING);
    await whole.text();

    const missing = await call(`/api/v1/context/conversations/${uniqueId()}`);
    expect(missing.status).toBe(404);
    expect(missing.headers.get("server-timing")).toMatch(SERVER_TIMING);
  });

  it("logs one line per turn with its figures and no secret, and writes its Analytics Engine row", async () => {
    const sid = uniqueId();
    const stub = sessionStub(env, LOCAL_OWNER, sid);
    // The session's first turn creates it; a second one is spied on in the object itself.
    await (await call("/api/chat/stream", { json: { session_id: sid, content: `${sid} first` } })).text();
    const rows: AnalyticsEngineDataPoint[] = [];
    await runInDurableObject(stub, (instance) => {
      const dataset = (instance as unknown as { env: Env }).env.TURN_METRICS;
      vi.spyOn(dataset, "writeDataPoint").mockImplementation((row) => {
        if (row) rows.push(row);
      });
    });
    const log = vi.spyOn(console, "log");

    const content = `${sid} ${script({ pieces: ["one", " two", " three"], delayMs: 5 })}`;
    const res = await call("/api/chat/stream", { json: { session_id: sid, content } });
    expect(await res.text()).toContain("three");

    const [line] = await eventually(() => {
      const lines = turnLines(log);
      expect(lines).toHaveLength(1);
      return lines;
    });
    expect(line.fields).toMatchObject({
      message: "turn",
      model: expect.any(String),
      dialect: "native",
      stored: true,
      outcome: "stop",
      toolCalls: 0,
      toolMs: 0,
    });
    expect(line.fields.tokensIn).toBeGreaterThan(0);
    expect(line.fields.tokensOut).toBeGreaterThan(0);
    for (const k of ["ttftMs", "upstreamTtftMs", "overheadMs", "workerMs", "totalMs"])
      expect(Number.isFinite(line.fields[k]), k).toBe(true);
    expect(line.fields.ttftMs).toBeGreaterThanOrEqual(line.fields.upstreamTtftMs);
    expect(line.fields.totalMs).toBeGreaterThanOrEqual(line.fields.ttftMs);
    for (const secret of SECRETS) expect(line.text).not.toContain(secret);

    expect(rows).toHaveLength(1);
    const [row] = rows;
    expect(row.indexes).toEqual([line.fields.model]);
    expect(row.blobs).toEqual([line.fields.model, "native", "stop", "stored"]);
    expect(row.doubles?.slice(0, 5)).toEqual([
      line.fields.overheadMs,
      line.fields.ttftMs,
      line.fields.upstreamTtftMs,
      line.fields.tokensIn,
      line.fields.tokensOut,
    ]);
    for (const secret of SECRETS) expect(JSON.stringify(row)).not.toContain(secret);
  });

  it("counts a turn's tool calls and their time, and a stateless turn as stateless", async () => {
    const log = vi.spyOn(console, "log");
    const sid = uniqueId();
    const res = await call("/v1/chat/completions", {
      json: {
        model: "gpt-4",
        stream: true,
        messages: [
          {
            role: "user",
            content: `${sid} ${script({ steps: [{ toolCalls: [{ id: "call_m1", name: "current_time", arguments: { timezone: "UTC" } }] }] })}`,
          },
        ],
      },
    });
    await res.text();
    const lines = await eventually(() => {
      const mine = turnLines(log).filter((l) => l.fields.dialect === "chat-completions");
      expect(mine).toHaveLength(1);
      return mine;
    });
    expect(lines[0].fields).toMatchObject({ stored: false, toolCalls: 1 });
    expect(lines[0].fields.toolMs).toBeGreaterThan(0);
  });
});
