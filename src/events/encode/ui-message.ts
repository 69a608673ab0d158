/**
 * The AI SDK's UI message stream (protocol v1, what `useChat`'s `DefaultChatTransport` reads):
 * one `data: {chunk}` SSE frame per chunk — `start`, `start-step`, `text-start`/`-delta`/`-end`,
 * `tool-input-available`, `tool-approval-request`/`-response`, `tool-output-available`/`-error`/`-denied`,
 * `finish-step`, `finish` — then
 * `data: [DONE]`. Only chunk types and fields the installed `ai` release's `uiMessageChunkSchema`
 * accepts are sent; a unit test checks every one.
 */

import { defineDialect, type Encoder } from "../dialect";
import { formatSse, jsonFrame } from "../sse";
import type { FinishReason, TurnEvent } from "../types";

/** One UI message chunk, as JSON. */
export type UiChunk = { type: string } & Record<string, unknown>;

const FINISH_REASONS: Record<FinishReason, string> = {
  stop: "stop",
  length: "length",
  "tool-calls": "tool-calls",
  error: "error",
  // The reply was cut short: the client must not continue it automatically (`sendAutomaticallyWhen`).
  aborted: "interrupted",
  // What the AI SDK's own server sends when a step ends on calls that wait for an approval.
  "awaiting-approval": "tool-calls",
};

/**
 * The chunks of one stream, from TurnEvents. Stateful: it opens the message and its steps and
 * text parts when needed, so a client that joins a running turn (no `turn-start`) still gets a
 * well-formed stream.
 */
export class UiMessageChunks {
  private started = false;
  private stepOpen = false;
  private textId: string | null = null;
  /** Tool results arrived: the next text or call belongs to a new step. */
  private stepHadResults = false;
  private ended = false;
  /** Calls this stream announced; an output for any other has no part to land in. */
  private readonly calls = new Set<string>();

  chunks(event: TurnEvent): UiChunk[] {
    if (this.ended) return [];
    const out: UiChunk[] = [];
    switch (event.type) {
      case "turn-start":
        if (!this.started) {
          this.started = true;
          out.push({ type: "start", messageId: event.messageId });
        }
        this.openStep(out);
        break;
      case "text-delta":
        if (!event.text) break;
        this.nextStepIfDue(out);
        this.open(out);
        if (this.textId === null) {
          // The seq makes the id unique in the session and the same for every follower of the turn.
          this.textId = `text-${event.seq}`;
          out.push({ type: "text-start", id: this.textId });
        }
        out.push({ type: "text-delta", id: this.textId, delta: event.text });
        break;
      case "tool-call":
        this.nextStepIfDue(out);
        this.announce(out, event.callId, event.name, event.args);
        break;
      case "tool-approval-request":
        this.announce(out, event.callId, event.name, event.args);
        out.push({ type: "tool-approval-request", approvalId: event.approvalId, toolCallId: event.callId });
        break;
      case "tool-approval-response":
        // The stream of a paused turn going on continues the client's message, which has the call's
        // part already: announcing it again would add a second one.
        this.open(out);
        this.calls.add(event.callId);
        out.push({
          type: "tool-approval-response",
          approvalId: event.approvalId,
          approved: event.approved,
          ...(event.reason ? { reason: event.reason } : {}),
        });
        break;
      case "tool-progress":
        this.open(out);
        // No standard chunk for progress; a transient data part reaches `onData` without joining the message.
        out.push({ type: "data-tool-progress", data: { toolCallId: event.callId, text: event.text }, transient: true });
        break;
      case "tool-elicitation":
        this.open(out);
        // A transient data part (`onData`): the form belongs to the running call, not the message.
        out.push({
          type: "data-tool-elicitation",
          data: {
            toolCallId: event.callId,
            elicitationId: event.elicitationId,
            message: event.message,
            requestedSchema: event.requestedSchema,
          },
          transient: true,
        });
        break;
      case "tool-result":
        // The AI SDK client fails the whole stream on an output for a call it never saw.
        if (!this.calls.has(event.callId)) break;
        this.stepHadResults = true;
        out.push(
          event.denied
            ? { type: "tool-output-denied", toolCallId: event.callId }
            : event.isError
              ? { type: "tool-output-error", toolCallId: event.callId, errorText: textOf(event.result), dynamic: true }
              : { type: "tool-output-available", toolCallId: event.callId, output: event.result, dynamic: true },
        );
        break;
      case "error":
        this.open(out);
        out.push({ type: "error", errorText: event.message });
        break;
      case "turn-end":
        this.ensureStarted(out);
        this.closeText(out);
        if (this.stepOpen) out.push({ type: "finish-step" });
        this.stepOpen = false;
        if (event.finishReason === "aborted") out.push({ type: "abort", reason: "aborted" });
        out.push({ type: "finish", finishReason: FINISH_REASONS[event.finishReason] });
        this.ended = true;
        break;
    }
    return out;
  }

  /** The call's part, once per stream. Dynamic: the server's tools are not declared in the client's types. */
  private announce(out: UiChunk[], toolCallId: string, toolName: string, input: unknown): void {
    this.open(out);
    this.closeText(out);
    if (this.calls.has(toolCallId)) return;
    this.calls.add(toolCallId);
    out.push({ type: "tool-input-available", toolCallId, toolName, input, dynamic: true });
  }

  private ensureStarted(out: UiChunk[]): void {
    if (this.started) return;
    this.started = true;
    out.push({ type: "start" });
  }

  private open(out: UiChunk[]): void {
    this.ensureStarted(out);
    this.openStep(out);
  }

  private openStep(out: UiChunk[]): void {
    if (this.stepOpen) return;
    this.stepOpen = true;
    out.push({ type: "start-step" });
  }

  private nextStepIfDue(out: UiChunk[]): void {
    if (!this.stepHadResults) return;
    this.stepHadResults = false;
    this.closeText(out);
    if (this.stepOpen) out.push({ type: "finish-step" });
    this.stepOpen = false;
  }

  private closeText(out: UiChunk[]): void {
    if (this.textId === null) return;
    out.push({ type: "text-end", id: this.textId });
    this.textId = null;
  }
}

function textOf(value: unknown): string {
  return typeof value === "string" ? value : (JSON.stringify(value) ?? String(value));
}

/** One encoder per stream: `data:` frames, and `data: [DONE]` after the turn's end. */
function createUiMessageEncoder(): Encoder {
  const stream = new UiMessageChunks();
  return (event) => {
    // Every frame carries the event's seq, so a client can resume from any of them.
    const frames = stream.chunks(event).map((chunk) => jsonFrame(event.seq, chunk));
    if (event.type === "turn-end" && frames.length) frames.push(formatSse({ id: event.seq, data: "[DONE]" }));
    return frames.join("");
  };
}

export const uiMessageDialect = defineDialect({
  name: "ui-message",
  encoder: createUiMessageEncoder,
  sse: true,
  // The header that tells an AI SDK client the body is a UI message stream.
  headers: { "x-vercel-ai-ui-message-stream": "v1" },
  elicitation: true,
});
