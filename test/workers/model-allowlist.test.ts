/**
 * Only the models the operator configured run on the server's key: any other name is a 404
 * `model_not_found` in the caller's API's error shape, and nothing goes upstream. A caller who
 * brings their own key may name any model.
 */

import OpenAI from "openai";
import { describe, expect, it } from "vitest";
import { nativeEvents } from "../support/sse";
import { call, openaiClient, script, uniqueId, upstreamRequests } from "./helpers";

const openai = openaiClient();

const EXPENSIVE = "o1-pro-very-expensive";

describe("a model the configuration does not name", () => {
  it("/v1/chat/completions: the SDK gets a 404 NotFoundError with code model_not_found; nothing is sent upstream", async () => {
    const marker = `expensive ${uniqueId()}`;
    for (const stream of [false, true]) {
      const err = await openai.chat.completions
        .create({ model: EXPENSIVE, stream, messages: [{ role: "user", content: marker }] })
        .then(
          () => null,
          (e: unknown) => e,
        );
      expect(err, `stream: ${stream}`).toBeInstanceOf(OpenAI.NotFoundError);
      expect(err).toMatchObject({
        status: 404,
        code: "model_not_found",
        type: "invalid_request_error",
        param: "model",
      });
      expect((err as Error).message).toContain(EXPENSIVE);
    }
    expect(await upstreamRequests(marker)).toEqual([]);
  });

  it("the native API and /api/chat: 404 model_not_found naming their own field", async () => {
    const marker = `expensive-native ${uniqueId()}`;
    const native = await call("/api/chat/stream", {
      json: { session_id: uniqueId(), content: marker, model_config: { model_name: EXPENSIVE } },
    });
    expect(native.status).toBe(404);
    expect(await native.json()).toMatchObject({
      error: { code: "model_not_found", param: "model_config.model_name" },
    });
    const lines = await call("/api/chat", {
      json: { messages: [{ role: "user", content: marker }], model: EXPENSIVE },
    });
    expect(lines.status).toBe(404);
    expect(await lines.json()).toMatchObject({ error: { code: "model_not_found", param: "model" } });
    expect(await upstreamRequests(marker)).toEqual([]);
  });

  it("runs when the caller pays: with its own model_config.api_key any model goes upstream, on that key", async () => {
    const sid = uniqueId("own-key");
    const events = nativeEvents(
      await (
        await call("/api/chat/stream", {
          json: {
            session_id: sid,
            content: `own key ${sid}`,
            model_config: { model_name: EXPENSIVE, api_key: "sk-caller-pays-1234" },
          },
        })
      ).text(),
    );
    expect(events.at(-1)!.type).toBe("complete");
    const [req] = await upstreamRequests(`own key ${sid}`);
    expect(req).toMatchObject({ authorization: "Bearer sk-caller-pays-1234", body: { model: EXPENSIVE } });
  });
});

describe("the models the configuration names", () => {
  it("the default, MODELS, an alias, its target, a front-end role name and a PROVIDERS model all run", async () => {
    for (const [model, upstreamModel] of [
      ["gpt-4o-mini", "gpt-4o-mini"],
      ["gpt-test-x", "gpt-test-x"],
      ["chat-model", "gpt-test-chat"],
      ["gpt-test-chat", "gpt-test-chat"],
      ["artifact-model", "gpt-4o-mini"],
      ["backup-model", "backup-model"],
    ]) {
      const marker = `named ${model} ${uniqueId()}`;
      const res = await call("/v1/chat/completions", {
        json: { model, messages: [{ role: "user", content: `${marker} ${script({ text: "ok" })}` }] },
      });
      expect(res.status, model).toBe(200);
      const [req] = await upstreamRequests(marker);
      expect(req.body.model, model).toBe(upstreamModel);
    }
  });
});
