import { describe, expect, it } from "vitest";
import { nativeEvents } from "../support/sse";
import { call, uniqueId, upstreamRequests } from "./helpers";

describe("smoke", () => {
  it("streams a reply", async () => {
    const sid = uniqueId();
    const res = await call("/api/chat/stream", { json: { session_id: sid, content: `hello ${sid}` } });
    expect(res.status).toBe(200);
    const events = nativeEvents(await res.text());
    console.log(events);
    const reqs = await upstreamRequests(sid);
    console.log(JSON.stringify(reqs));
  });
});
