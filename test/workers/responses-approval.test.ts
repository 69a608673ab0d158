/**
 * Tool approval in OpenAI's Responses API, with the real `openai` SDK: a call that waits is an
 * `mcp_approval_request` output item of an `incomplete` response; the caller answers it with an
 * `mcp_approval_response` input item and `previous_response_id`, and the response goes on.
 * `legacy__echo` needs an approval (vitest.config.ts).
 */
import type OpenAI from "openai";
import { describe, expect, it } from "vitest";
import { openaiClient, script, uniqueId, upstreamRequests } from "./helpers";

const client = openaiClient();

const approvalItems = (r: { output: unknown[] }) =>
  r.output.filter((i): i is OpenAI.Responses.ResponseOutputItem.McpApprovalRequest => {
    return (i as { type: string }).type === "mcp_approval_request";
  });

/** A stored response whose model calls `legacy__echo` with `message`, waiting for its approval. */
async function waiting(marker: string, message: string) {
  return client.responses.create({
    model: "gpt-4o-mini",
    input: `${marker} ${script({ steps: [{ toolCalls: [{ id: "call_r", name: "legacy__echo", arguments: { message } }] }] })}`,
  });
}

describe("tool approval in the Responses API", () => {
  it("shows the waiting call as an mcp_approval_request; approving it runs the tool and completes the response", async () => {
    const marker = uniqueId("resp-appr");
    const first = await waiting(marker, "hi");
    expect(first.status).toBe("incomplete");
    const [request] = approvalItems(first);
    expect(request).toEqual({
      id: expect.stringMatching(/^mcpr_[0-9a-f]{32}$/),
      type: "mcp_approval_request",
      server_label: "edge-chat",
      name: "legacy__echo",
      arguments: JSON.stringify({ message: "hi" }),
    });
    // Retrieved, it still says what it waits for.
    expect(approvalItems(await client.responses.retrieve(first.id))).toEqual([request]);
    expect((await upstreamRequests(marker)).map((r) => r.outcome)).toEqual(["completed"]);

    const done = await client.responses.create({
      model: "gpt-4o-mini",
      previous_response_id: first.id,
      input: [{ type: "mcp_approval_response", approval_request_id: request.id, approve: true }],
    });
    expect(done.status).toBe("completed");
    expect(done.output_text).toContain("Echo: hi");
    expect(approvalItems(done)).toEqual([]);
    const upstream = await upstreamRequests(marker);
    expect(upstream).toHaveLength(2);
    expect(upstream[1].body.messages.at(-1)).toEqual({ role: "tool", tool_call_id: "call_r", content: "Echo: hi" });

    // Answered once: the same answer again is a conflict, and nothing runs again.
    const again = client.responses.create({
      model: "gpt-4o-mini",
      previous_response_id: first.id,
      input: [{ type: "mcp_approval_response", approval_request_id: request.id, approve: true }],
    });
    await expect(again).rejects.toMatchObject({ status: 409, code: "approval_answered" });
    expect(await upstreamRequests(marker)).toHaveLength(2);
  });

  it("streams the request as an output item, and a denial (with its reason) streams the rest", async () => {
    const marker = uniqueId("resp-appr");
    const stream = await client.responses.create({
      model: "gpt-4o-mini",
      stream: true,
      input: `${marker} ${script({ steps: [{ toolCalls: [{ id: "call_s", name: "legacy__echo", arguments: { message: "x" } }] }] })}`,
    });
    const events: OpenAI.Responses.ResponseStreamEvent[] = [];
    for await (const e of stream) events.push(e);
    const added = events.find(
      (e): e is OpenAI.Responses.ResponseOutputItemAddedEvent =>
        e.type === "response.output_item.added" && e.item.type === "mcp_approval_request",
    );
    expect(added?.item).toMatchObject({ type: "mcp_approval_request", name: "legacy__echo" });
    const end = events.at(-1) as OpenAI.Responses.ResponseIncompleteEvent;
    expect(end.type).toBe("response.incomplete");
    expect(events.map((e) => e.sequence_number)).toEqual(events.map((_, i) => i));

    const rest = await client.responses.create({
      model: "gpt-4o-mini",
      stream: true,
      previous_response_id: end.response.id,
      input: [
        { type: "mcp_approval_response", approval_request_id: added!.item.id!, approve: false, reason: "not now" },
      ],
    });
    const after: OpenAI.Responses.ResponseStreamEvent[] = [];
    for await (const e of rest) after.push(e);
    expect(after.at(-1)!.type).toBe("response.completed");
    const second = (await upstreamRequests(marker))[1];
    expect(second.body.messages.at(-1)).toEqual({
      role: "tool",
      tool_call_id: "call_s",
      content: "legacy__echo was not run: the user denied it (not now).",
    });
  });

  it("refuses answers that cannot be taken, in OpenAI's shape, and changes nothing", async () => {
    const marker = uniqueId("resp-appr");
    const first = await waiting(marker, "y");
    const [request] = approvalItems(first);
    const answer = { type: "mcp_approval_response" as const, approval_request_id: request.id, approve: true };
    const cases: [OpenAI.Responses.ResponseCreateParamsNonStreaming, number, string][] = [
      // No response named: nothing says which conversation waits.
      [{ model: "gpt-4o-mini", input: [answer] }, 400, "invalid_request"],
      // Not one of ours.
      [
        { model: "gpt-4o-mini", previous_response_id: first.id, input: [{ ...answer, approval_request_id: "mcpr_x" }] },
        404,
        "approval_not_found",
      ],
      // An answer mixed with a new question.
      [
        { model: "gpt-4o-mini", previous_response_id: first.id, input: [answer, { role: "user", content: "and?" }] },
        400,
        "invalid_request",
      ],
    ];
    for (const [params, status, code] of cases) {
      await expect(client.responses.create(params)).rejects.toMatchObject({ status, code });
    }
    // Still waiting, and the model was asked once.
    expect(approvalItems(await client.responses.retrieve(first.id))).toEqual([request]);
    expect(await upstreamRequests(marker)).toHaveLength(1);
  });
});
