/**
 * What a caller chose is what it gets, with AUTO_TITLES on (this project's default) and no
 * MODEL_ALIASES: the Next.js front end's model ids reach the upstream as the default model.
 */
import { exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { uniqueId, upstreamRequests } from "../workers/helpers";

// Bob's key: lightly used elsewhere, so these requests stay well inside its rate limit.
const KEY = "sk-bob-0123456789";

function as(path: string, init: { json?: unknown; headers?: Record<string, string> } = {}): Promise<Response> {
  return exports.default.fetch(
    new Request(`http://edge-chat.test${path}`, {
      method: init.json === undefined ? "GET" : "POST",
      headers: {
        authorization: `Bearer ${KEY}`,
        ...(init.json === undefined ? {} : { "content-type": "application/json" }),
        ...init.headers,
      },
      body: init.json === undefined ? undefined : JSON.stringify(init.json),
    }),
  );
}

describe("the Next.js front end's model ids, with no MODEL_ALIASES", () => {
  it("reach the upstream as DEFAULT_MODEL", async () => {
    for (const model of ["chat-model", "chat-model-reasoning", "title-model", "artifact-model"]) {
      const marker = uniqueId(model);
      const res = await as("/api/chat", {
        json: { messages: [{ role: "user", content: `hi ${marker}` }], model, temperature: 0.7, stream: true },
      });
      expect(await res.text()).toBe(
        `0:{"type":"text-delta","textDelta":"Echo:"}\n0:{"type":"text-delta","textDelta":" hi"}\n0:{"type":"text-delta","textDelta":" ${marker}"}\nd:{"type":"finish","finishReason":"stop"}\n`,
      );
      const [req] = await upstreamRequests(marker);
      expect(req.body.model, model).toBe("gpt-4o-mini");
    }
  });
});
