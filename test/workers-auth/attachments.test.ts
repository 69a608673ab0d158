/**
 * An owner never reads another's file: the key of every file names its owner, so another key (or
 * another end user behind the same key) asking for the same session and file id finds nothing.
 */
import { describe, expect, it } from "vitest";
import { uniqueId, workerFetch } from "../workers/helpers";

const PNG = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==";

function as(key: string, path: string, init: RequestInit & { json?: unknown } = {}, user?: string): Promise<Response> {
  const headers: Record<string, string> = { authorization: `Bearer ${key}` };
  if (init.json !== undefined) headers["content-type"] = "application/json";
  if (user) headers["x-user-id"] = user;
  const body = init.json === undefined ? init.body : JSON.stringify(init.json);
  return workerFetch(`http://edge-chat.test${path}`, { ...init, headers, body });
}

describe("attachments belong to their owner", () => {
  it("another key, and another end user of the same key, get 404 for the same file", async () => {
    const sid = uniqueId("own");
    const send = await as("sk-alice-0123456789", "/api/chat/stream", {
      method: "POST",
      json: { session_id: sid, content: "a picture", attachments: [{ name: "dot.png", type: "image/png", data: PNG }] },
    });
    expect(send.status).toBe(200);
    await send.text();
    const conversation = (await (
      await as("sk-alice-0123456789", `/api/v1/context/conversations/${sid}`)
    ).json()) as any;
    const id = conversation.messages[0].attachments[0].id;
    const path = `/api/files/${sid}/${id}`;
    expect((await as("sk-alice-0123456789", path)).status).toBe(200);

    const bob = await as("sk-bob-0123456789", path);
    expect(bob.status).toBe(404);
    expect(await bob.json()).toMatchObject({ error: { code: "attachment_not_found" } });
    expect((await as("sk-front-0123456789", path, {}, "alice")).status).toBe(404);
    // Nor with no key at all.
    expect((await workerFetch(`http://edge-chat.test${path}`)).status).toBe(401);

    // The end users of one key are owners of their own too.
    const mine = uniqueId("user-file");
    await (
      await as(
        "sk-front-0123456789",
        "/api/chat/stream",
        {
          method: "POST",
          json: {
            session_id: mine,
            content: "mine",
            attachments: [{ name: "a.txt", type: "text/plain", data: btoa("hi") }],
          },
        },
        "u1",
      )
    ).text();
    const theirs = (await (
      await as("sk-front-0123456789", `/api/v1/context/conversations/${mine}`, {}, "u1")
    ).json()) as any;
    const file = `/api/files/${mine}/${theirs.messages[0].attachments[0].id}`;
    expect(await (await as("sk-front-0123456789", file, {}, "u1")).text()).toBe("hi");
    expect((await as("sk-front-0123456789", file, {}, "u2")).status).toBe(404);
    expect((await as("sk-front-0123456789", file)).status).toBe(404);
  });
});
