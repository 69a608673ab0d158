/** Reference 003 on `POST /api/chat`: the Next.js front end's line stream, byte for byte, and its JSON answer. */
import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { configFor } from "../../src/config";
import { call, script, uniqueId, upstreamRequests } from "./helpers";

interface LineBody {
  messages: { role: string; content: string }[];
  model?: string;
  temperature?: number;
  stream?: boolean;
}

function post(body: LineBody): Promise<Response> {
  return call("/api/chat", { json: body });
}

/** Each line parsed as reference 003 writes it: `<code>:<json>`. */
function lines(text: string): { code: string; body: any }[] {
  expect(text.endsWith("\n")).toBe(true);
  return text
    .slice(0, -1)
    .split("\n")
    .map((line) => {
      const m = /^([0-9a-z]):(.*)$/.exec(line);
      expect(m, line).not.toBeNull();
      return { code: m![1], body: JSON.parse(m![2]) };
    });
}

describe("reference 003 line stream on POST /api/chat", () => {
  it("streams text deltas and a finish line, exactly as the reference writes them", async () => {
    const marker = uniqueId("line");
    const res = await post({
      messages: [{ role: "user", content: `${marker} ${script({ pieces: ["你", "好", "！"] })}` }],
      model: "gpt-4",
      temperature: 0.7,
      stream: true,
    });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^text\/event-stream/);
    expect(await res.text()).toBe(
      '0:{"type":"text-delta","textDelta":"你"}\n' +
        '0:{"type":"text-delta","textDelta":"好"}\n' +
        '0:{"type":"text-delta","textDelta":"！"}\n' +
        'd:{"type":"finish","finishReason":"stop"}\n',
    );
  });

  it("is stateless: the upstream gets the client's messages with the model and temperature, and nothing is stored", async () => {
    const marker = uniqueId("line");
    const messages = [
      { role: "user", content: "earlier question" },
      { role: "assistant", content: "earlier answer" },
      { role: "user", content: `${marker} now` },
    ];
    const res = await post({ messages, model: "gpt-test-line", temperature: 0.3, stream: true });
    expect(await res.text()).toBe(
      `0:{"type":"text-delta","textDelta":"Echo:"}\n0:{"type":"text-delta","textDelta":" ${marker}"}\n0:{"type":"text-delta","textDelta":" now"}\nd:{"type":"finish","finishReason":"stop"}\n`,
    );

    const [req] = await upstreamRequests(marker);
    expect(req.body.messages).toEqual([{ role: "system", content: "You are a test assistant." }, ...messages]);
    expect(req.body).toMatchObject({ model: "gpt-test-line", temperature: 0.3 });

    // Never stored or listed, so no session or message is named for the client to look up.
    expect(res.headers.get("x-session-id")).toBeNull();
    expect(res.headers.get("x-message-id")).toBeNull();
    const list = await (await call("/api/v1/context/conversations?limit=500")).json<any>();
    expect(JSON.stringify(list)).not.toContain(marker);
  });

  it("streams a current_time tool call as a 9: line and its result as an a: line, then the answer", async () => {
    const marker = uniqueId("line");
    const content = `${marker} ${script({ steps: [{ toolCalls: [{ id: "call_t1", name: "current_time", arguments: { timezone: "Asia/Tokyo" } }] }] })}`;
    const text = await (await post({ messages: [{ role: "user", content }] })).text();
    const all = lines(text);
    expect(all.map((l) => l.code)).toEqual(["9", "a", ...Array(all.length - 3).fill("0"), "d"]);
    expect(
      text.startsWith(
        '9:{"type":"tool-call","toolCallId":"call_t1","toolName":"current_time","args":{"timezone":"Asia/Tokyo"}}\na:{"type":"tool-result","toolCallId":"call_t1","toolName":"current_time","result":"',
      ),
    ).toBe(true);

    const result = all[1].body;
    expect(Object.keys(result)).toEqual(["type", "toolCallId", "toolName", "result"]);
    expect(JSON.parse(result.result).timezone).toBe("Asia/Tokyo");
    expect(
      all
        .filter((l) => l.code === "0")
        .map((l) => l.body.textDelta)
        .join(""),
    ).toBe(`Tool results: ${result.result}`);
    expect(all.at(-1)!.body).toEqual({ type: "finish", finishReason: "stop" });

    // The second round carried the call and the tool's answer upstream.
    const reqs = await upstreamRequests(marker);
    expect(reqs).toHaveLength(2);
    expect(reqs[1].body.messages.at(-1)).toEqual({ role: "tool", tool_call_id: "call_t1", content: result.result });
  });

  it("ends with a 3: error line and a d: finish line when the upstream fails", async () => {
    const marker = uniqueId("line");
    const res = await post({
      messages: [{ role: "user", content: `${marker} ${script({ pieces: ["par", "tial", "x"], cutAfter: 2 })}` }],
    });
    expect(res.status).toBe(200);
    const all = lines(await res.text());
    expect(all.map((l) => l.code)).toEqual(["0", "0", "3", "d"]);
    expect(all[2].body).toEqual({ type: "error", error: expect.any(String) });
    expect(all[3].body).toEqual({ type: "finish", finishReason: "error" });

    const failed = lines(
      await (await post({ messages: [{ role: "user", content: `${marker} ${script({ status: 500 })}` }] })).text(),
    );
    expect(failed).toEqual([
      { code: "3", body: { type: "error", error: expect.stringMatching(/model provider failed/) } },
      { code: "d", body: { type: "finish", finishReason: "error" } },
    ]);
  });

  it("sends the front end's model ids upstream as DEFAULT_MODEL, unless MODEL_ALIASES names them", async () => {
    // The Worker's own reading of its bindings: DEFAULT_MODEL may come from a var or the default.
    const { modelAliases, defaultModel: DEFAULT_MODEL } = configFor(env);
    // This project's aliases name two of the four; the other two fall back to the default.
    expect(modelAliases).toEqual({ "chat-model": "gpt-test-chat", "title-model": "gpt-test-title" });
    for (const [model, upstream] of [
      ["chat-model", "gpt-test-chat"],
      ["title-model", "gpt-test-title"],
      ["chat-model-reasoning", DEFAULT_MODEL],
      ["artifact-model", DEFAULT_MODEL],
      ["some-real-model", "some-real-model"],
    ]) {
      const marker = uniqueId("alias");
      const res = await post({ messages: [{ role: "user", content: marker }], model, temperature: 0.7, stream: true });
      expect(lines(await res.text()).at(-1)).toEqual({ code: "d", body: { type: "finish", finishReason: "stop" } });
      const [req] = await upstreamRequests(marker);
      expect(req.body.model, model).toBe(upstream);
    }
  });

  it("answers stream:false with one JSON object: content, finishReason, tool calls and results, usage", async () => {
    const marker = uniqueId("line");
    const content = `${marker} ${script({ steps: [{ text: "Checking.", toolCalls: [{ id: "call_j1", name: "current_time", arguments: { timezone: "UTC" } }] }] })}`;
    const res = await post({ messages: [{ role: "user", content }], stream: false });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^application\/json/);
    const body = await res.json<any>();
    expect(body).toMatchObject({
      role: "assistant",
      finishReason: "stop",
      toolCalls: [{ type: "tool-call", toolCallId: "call_j1", toolName: "current_time", args: { timezone: "UTC" } }],
      toolResults: [
        { type: "tool-result", toolCallId: "call_j1", toolName: "current_time", result: expect.any(String) },
      ],
      usage: {
        promptTokens: expect.any(Number),
        completionTokens: expect.any(Number),
        totalTokens: expect.any(Number),
      },
    });
    expect(body.content).toBe(`Checking.Tool results: ${body.toolResults[0].result}`);
    expect(body.error).toBeUndefined();

    const plain = await (
      await post({
        messages: [{ role: "user", content: `${marker} ${script({ pieces: ["a", "b"] })}` }],
        stream: false,
      })
    ).json<any>();
    expect(plain).toMatchObject({ content: "ab", toolCalls: [], toolResults: [], finishReason: "stop" });
  });

  it("answers stream:false with a JSON error (502) when the upstream fails before any text", async () => {
    const res = await post({ messages: [{ role: "user", content: script({ status: 500 }) }], stream: false });
    expect(res.status).toBe(502);
    expect((await res.json<any>()).error).toMatchObject({
      code: "upstream_unavailable",
      message: expect.stringMatching(/model provider failed/),
    });
  });

  it("refuses bad bodies with the field named", async () => {
    const bad = async (body: unknown, param: string) => {
      const res = await call("/api/chat", { json: body });
      expect(res.status).toBe(400);
      expect((await res.json<any>()).error).toMatchObject({ code: "invalid_request", param });
    };
    await bad({}, "messages");
    await bad({ messages: [] }, "messages");
    await bad({ messages: [{ role: "user" }] }, "messages.0.content");
    await bad({ messages: [{ role: "wizard", content: "x" }] }, "messages.0.role");
    await bad({ messages: [{ role: "user", content: "x" }], temperature: 5 }, "temperature");
    await bad({ messages: [{ role: "user", content: "x" }], stream: "yes" }, "stream");
    await bad({ messages: [{ role: "user", content: "x" }], model: "" }, "model");
    const notObject = await call("/api/chat", { json: [1, 2] });
    expect(notObject.status).toBe(400);
    expect((await notObject.json<any>()).error.message).toBe("request body must be a JSON object");
  });
});
