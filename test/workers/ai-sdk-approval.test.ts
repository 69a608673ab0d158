/**
 * The AI SDK's own approval flow, driven by its real client: the chat (`AbstractChat`, what
 * `useChat` wraps) over `DefaultChatTransport` shows the call as `approval-requested`;
 * `addToolApprovalResponse` answers it and, with `lastAssistantMessageIsCompleteWithApprovalResponses`,
 * the chat posts the next `POST /api/chat` carrying the `tool-approval-response`, whose stream
 * continues the same assistant message. `legacy__echo` needs an approval (vitest.config.ts).
 */
import { exports } from "cloudflare:workers";
import {
  AbstractChat,
  type ChatState,
  type ChatStatus,
  DefaultChatTransport,
  lastAssistantMessageIsCompleteWithApprovalResponses,
  type UIMessage,
} from "ai";
import { describe, expect, it } from "vitest";
import { call, eventually, script, uniqueId, upstreamRequests } from "./helpers";

/** The chat's state as plain fields, as a framework binding keeps it. */
class PlainState implements ChatState<UIMessage> {
  status: ChatStatus = "ready";
  error: Error | undefined = undefined;
  messages: UIMessage[] = [];
  pushMessage = (m: UIMessage) => {
    this.messages = [...this.messages, m];
  };
  popMessage = () => {
    this.messages = this.messages.slice(0, -1);
  };
  replaceMessage = (i: number, m: UIMessage) => {
    this.messages = this.messages.map((x, j) => (j === i ? m : x));
  };
  snapshot = <T>(thing: T): T => structuredClone(thing);
}

class Chat extends AbstractChat<UIMessage> {
  readonly view: PlainState;
  constructor(id: string) {
    const state = new PlainState();
    super({
      id,
      state,
      transport: new DefaultChatTransport<UIMessage>({
        api: "http://edge-chat.test/api/chat",
        fetch: (url, init) => exports.default.fetch(new Request(url, init)),
      }),
      sendAutomaticallyWhen: lastAssistantMessageIsCompleteWithApprovalResponses,
    });
    this.view = state;
  }
}

const toolPart = (m: UIMessage | undefined) => m?.parts.find((p) => p.type === "dynamic-tool") as any;

describe("the AI SDK client drives an approval", () => {
  for (const approved of [true, false]) {
    it(`${approved ? "approves" : "denies"} with addToolApprovalResponse; the next request goes on in the same message`, async () => {
      const sid = uniqueId("aisdk");
      const chat = new Chat(sid);
      await chat.sendMessage({
        text: `${sid} ${script({ steps: [{ toolCalls: [{ id: "call_ai", name: "legacy__echo", arguments: { message: "sdk" } }] }] })}`,
      });
      expect(chat.view.error).toBeUndefined();
      const asked = chat.view.messages.at(-1)!;
      expect(asked.role).toBe("assistant");
      expect(toolPart(asked)).toMatchObject({
        toolName: "legacy__echo",
        toolCallId: "call_ai",
        state: "approval-requested",
        input: { message: "sdk" },
        approval: { id: expect.any(String) },
      });

      await chat.addToolApprovalResponse({
        id: toolPart(asked).approval.id,
        approved,
        ...(approved ? {} : { reason: "not now" }),
      });
      // The chat sends on its own once every call of the step has an answer.
      await eventually(() => {
        expect(chat.view.error).toBeUndefined();
        expect(toolPart(chat.view.messages.at(-1))?.state).toMatch(/^output-/);
        expect(chat.status).toBe("ready");
      }, 10_000);
      expect(chat.view.error).toBeUndefined();
      // One assistant message, continued: the call's outcome, then the answer.
      expect(chat.view.messages.map((m) => m.role)).toEqual(["user", "assistant"]);
      const done = chat.view.messages.at(-1)!;
      expect(done.id).toBe(asked.id);
      // The call keeps its one part, now with its outcome.
      expect(done.parts.filter((p) => p.type === "dynamic-tool")).toHaveLength(1);
      expect(toolPart(done)).toMatchObject(
        approved ? { state: "output-available", output: "Echo: sdk" } : { state: "output-denied" },
      );
      const text = done.parts
        .filter((p) => p.type === "text")
        .map((p: any) => p.text)
        .join("");
      expect(text).toBe(
        approved ? "Tool results: Echo: sdk" : "Tool results: legacy__echo was not run: the user denied it (not now).",
      );
      // The approval went through the request the client sent, and the model was asked once more.
      expect(await upstreamRequests(sid)).toHaveLength(2);
      const stored = await (await call(`/api/v1/context/conversations/${sid}`)).json<any>();
      expect(stored.messages.map((m: any) => [m.role, m.status])).toEqual([
        ["user", "complete"],
        ["assistant", "complete"],
        ["tool", approved ? "complete" : "error"],
        ["assistant", "complete"],
      ]);
    });
  }
});
