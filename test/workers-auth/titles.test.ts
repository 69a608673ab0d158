import { exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { cleanTitle } from "../../src/session/title";
import { script, uniqueId } from "../workers/helpers";

// Its own key: the polling below must not eat into other files' rate limits.
const KEY = "sk-erin-0123456789";
const as = (path: string, json?: unknown) =>
  exports.default.fetch(
    new Request(`http://edge-chat.test${path}`, {
      method: json === undefined ? "GET" : "POST",
      headers: { authorization: `Bearer ${KEY}`, "content-type": "application/json" },
      body: json === undefined ? undefined : JSON.stringify(json),
    }),
  );

describe("conversation titles", () => {
  it("start as the question's first words, then become the model's title after the first exchange", async () => {
    const sid = uniqueId("title");
    // The scripted model follows the directive in the question, so it "writes" this title too.
    const question = `Plan a three day trip to Kyoto in spring please ${sid}`;
    await (
      await as("/api/chat/stream", { session_id: sid, content: `${question} ${script({ text: "Day one: temples." })}` })
    ).text();
    let title = "";
    for (let i = 0; i < 20 && title !== "Day one: temples"; i++) {
      await new Promise((r) => setTimeout(r, 250));
      title = (await (await as(`/api/v1/context/conversations/${sid}`)).json<any>()).title;
    }
    // Cleaned: no final period.
    expect(title).toBe("Day one: temples");
    const listed = (await (await as("/api/v1/context/conversations")).json<any>()).conversations.find(
      (c: any) => c.session_id === sid,
    );
    expect(listed.title).toBe(title);
  });

  it("keep the first words when the model gives no usable title", async () => {
    const sid = uniqueId("title");
    await (
      await as("/api/chat/stream", {
        session_id: sid,
        content: `Why is the sky blue ${sid} ${script({ pieces: ["\n", " \n"] })}`,
      })
    ).text();
    await new Promise((r) => setTimeout(r, 500));
    const conv = await (await as(`/api/v1/context/conversations/${sid}`)).json<any>();
    expect(conv.title, JSON.stringify(conv)).toMatch(/^Why is the sky blue/);
  });
});

describe("cleanTitle", () => {
  it("takes the first line, without quotes, a Title: prefix or a final period, and caps it", () => {
    expect(cleanTitle('"Trip to Kyoto."\nmore')).toBe("Trip to Kyoto");
    expect(cleanTitle("Title: Sky colours")).toBe("Sky colours");
    expect(cleanTitle("   ")).toBeNull();
    expect(cleanTitle("x".repeat(100))!.length).toBe(60);
  });
});
