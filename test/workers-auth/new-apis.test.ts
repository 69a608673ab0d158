/**
 * The Responses and Messages APIs with auth on, through their own SDKs: `x-api-key` (what the
 * Anthropic SDK sends) and Bearer keys work, a wrong key is refused in each API's error shape, and a
 * stored response belongs to the key that made it — another key's GET, cancel, DELETE and
 * previous_response_id find nothing.
 */
import Anthropic from "@anthropic-ai/sdk";
import OpenAI from "openai";
import { describe, expect, it } from "vitest";
import { uniqueId, workerFetch } from "../workers/helpers";

const openai = (key: string) =>
  new OpenAI({ apiKey: key, baseURL: "http://edge-chat.test/v1", maxRetries: 0, fetch: workerFetch });
const anthropic = (key: string) =>
  new Anthropic({ apiKey: key, baseURL: "http://edge-chat.test", maxRetries: 0, fetch: workerFetch });

describe("the Messages API with auth on", () => {
  it("takes the key as x-api-key, and refuses a wrong one with a 401 authentication_error in Anthropic's shape", async () => {
    const message = await anthropic("sk-carol-0123456789").messages.create({
      model: "gpt-4o-mini",
      max_tokens: 10,
      messages: [{ role: "user", content: "hi" }],
    });
    expect(message.content).toEqual([{ type: "text", text: "Echo: hi" }]);
    const wrong = anthropic("sk-wrong-000000000").messages.create({
      model: "gpt-4o-mini",
      max_tokens: 10,
      messages: [{ role: "user", content: "hi" }],
    });
    await expect(wrong).rejects.toMatchObject({
      status: 401,
      type: "authentication_error",
      error: { type: "error", error: { type: "authentication_error" } },
    });
  });
});

describe("stored responses belong to their key", () => {
  it("another key cannot read, continue, cancel or delete them", async () => {
    const marker = uniqueId("owned");
    const mine = await openai("sk-alice-0123456789").responses.create({
      model: "gpt-4o-mini",
      input: `${marker} secret`,
    });
    const theirs = openai("sk-bob-0123456789");
    await expect(theirs.responses.retrieve(mine.id)).rejects.toMatchObject({ status: 404 });
    await expect(theirs.responses.cancel(mine.id)).rejects.toMatchObject({ status: 404 });
    await expect(theirs.responses.delete(mine.id)).rejects.toMatchObject({ status: 404 });
    await expect(
      theirs.responses.create({ model: "gpt-4o-mini", input: "go on", previous_response_id: mine.id }),
    ).rejects.toMatchObject({ status: 404, param: "previous_response_id" });
    // Still there for its owner.
    expect((await openai("sk-alice-0123456789").responses.retrieve(mine.id)).status).toBe("completed");
  });
});
