/**
 * One turn: ask the model; while it calls tools, run them and ask again (up to the step limit);
 * end with exactly one `turn-end`. It knows nothing of storage or wire formats: events go to the
 * caller, message rows to the recorder.
 */
import type { FinishReason, StoredMessage, ToolCall, TurnEventBody, Usage } from "../events/types";
import { logError } from "../lib/log";
import { UpstreamError } from "../llm/errors";
import type { ChatMessage, ChatProvider, ChatRequest, ToolDefinition } from "../llm/provider";
import { ToolCallAssembler } from "../llm/tool-call-assembler";
import type { ToolInfo, ToolSource } from "../tools/types";
import { condenseResult } from "./condense";
import { runToolCalls } from "./tool-step";

/** Where the turn's messages go: the session's store, or nowhere (direct mode). */
export interface TurnRecorder {
  /** Streamed text of an assistant message; the implementation batches writes. */
  text(messageId: string, text: string): void;
  /** A new assistant message begins (the step after tool results). */
  begin(message: StoredMessage): void;
  /** An assistant message reached its final state. */
  end(message: StoredMessage): void;
  /** One tool result, with the full output. */
  tool(message: StoredMessage): void;
}

export interface TurnLimits {
  maxToolSteps: number;
  toolTimeoutMs: number;
  toolResultMaxChars: number;
}

export interface TurnSpec {
  provider: ChatProvider;
  request: ChatRequest;
  signal: AbortSignal;
  /** The first assistant message this turn writes (already inserted by the caller). */
  messageId: string;
  createdAt: string;
  /** Listed at the start of the turn; closed by whoever created it. */
  tools?: ToolSource;
  /**
   * Tools the caller brought (OpenAI's `tools`): offered instead of ours, and their calls are
   * handed back to the caller to run, as OpenAI does, ending the turn with `tool-calls`.
   */
  clientTools?: ToolDefinition[];
  limits: TurnLimits;
  recorder?: TurnRecorder;
}

export function toolDefinitions(list: ToolInfo[]): ToolDefinition[] {
  return list.map((t) => ({
    type: "function",
    function: { name: t.name, description: t.description, parameters: t.input_schema },
  }));
}

function addUsage(a: Usage | null, b: Usage): Usage {
  if (!a) return b;
  return {
    prompt_tokens: a.prompt_tokens + b.prompt_tokens,
    completion_tokens: a.completion_tokens + b.completion_tokens,
    total_tokens: a.total_tokens + b.total_tokens,
  };
}

async function serverToolDefinitions(tools: ToolSource | undefined): Promise<ToolDefinition[] | undefined> {
  const list = tools ? await tools.list() : [];
  return list.length ? toolDefinitions(list) : undefined;
}

export async function* runTurn(spec: TurnSpec): AsyncGenerator<TurnEventBody> {
  const { provider, signal, recorder, limits } = spec;
  const messages: ChatMessage[] = [...spec.request.messages];
  let message: StoredMessage = {
    id: spec.messageId,
    role: "assistant",
    content: "",
    created_at: spec.createdAt,
    status: "streaming",
    usage: null,
    model: spec.request.model,
  };
  let usage: Usage | null = null;
  let finishReason: FinishReason = "stop";
  yield { type: "turn-start", messageId: message.id };

  try {
    const definitions = spec.clientTools?.length ? spec.clientTools : await serverToolDefinitions(spec.tools);
    for (let step = 0; ; step++) {
      // The last allowed step offers no tools, so the model has to answer in words.
      const offered = step < limits.maxToolSteps ? definitions : undefined;
      const assembler = new ToolCallAssembler();
      let stepFinish: FinishReason = "stop";
      for await (const chunk of provider.stream({ ...spec.request, messages, tools: offered }, signal)) {
        if (signal.aborted) break;
        if (chunk.type === "text") {
          message.content += chunk.text;
          recorder?.text(message.id, chunk.text);
          yield { type: "text-delta", text: chunk.text };
        } else if (chunk.type === "tool-call-delta") {
          assembler.add(chunk);
        } else if (chunk.type === "usage") {
          usage = addUsage(usage, chunk.usage);
        } else if (chunk.type === "model") {
          message.model = chunk.model;
        } else {
          stepFinish = chunk.reason;
        }
      }
      if (signal.aborted) throw signal.reason;
      const calls = offered ? assembler.done() : [];
      if (calls.length > 0 && spec.clientTools?.length) {
        message = { ...message, tool_calls: calls };
        for (const call of calls) yield toolCallEvent(call);
        finishReason = "tool-calls";
        break;
      }
      if (calls.length === 0 || !spec.tools) {
        finishReason = stepFinish === "tool-calls" ? "stop" : stepFinish;
        break;
      }

      // A tool step: the assistant message that asked, then one result per call.
      message = { ...message, tool_calls: calls, status: "complete" };
      recorder?.end(message);
      messages.push({ role: "assistant", content: message.content || null, tool_calls: calls });
      for (const call of calls) yield toolCallEvent(call);
      const runs = yield* runToolCalls(calls, spec.tools, signal, limits.toolTimeoutMs);
      for (const run of runs) {
        recorder?.tool({
          id: crypto.randomUUID(),
          role: "tool",
          content: run.content,
          tool_call_id: run.call.id,
          name: run.call.function.name,
          created_at: new Date().toISOString(),
          status: run.isError ? "error" : "complete",
          usage: null,
        });
      }
      if (signal.aborted) throw signal.reason;
      for (const run of runs) {
        const condensing = condenseResult(run.content, limits.toolResultMaxChars, provider, spec.request.model, signal);
        let next = await condensing.next();
        while (!next.done) {
          yield { type: "tool-progress", callId: run.call.id, text: next.value };
          next = await condensing.next();
        }
        messages.push({ role: "tool", tool_call_id: run.call.id, content: next.value });
      }
      message = {
        id: crypto.randomUUID(),
        role: "assistant",
        content: "",
        created_at: new Date().toISOString(),
        status: "streaming",
        usage: null,
        model: spec.request.model,
      };
      recorder?.begin(message);
    }
  } catch (err) {
    if (signal.aborted && isTimeout(signal.reason)) {
      // The turn's wall-clock cap, not the user: an error, with what was written kept.
      finishReason = "error";
      yield { type: "error", code: "turn_timeout", message: (signal.reason as Error).message };
    } else if (signal.aborted) {
      finishReason = "aborted";
    } else {
      finishReason = "error";
      if (!(err instanceof UpstreamError)) logError("turn failed", err);
      const e = err instanceof UpstreamError ? err : null;
      yield {
        type: "error",
        code: e?.code ?? "internal_error",
        message: e?.message ?? "the turn failed unexpectedly",
        ...(e?.retryAfterSeconds !== undefined ? { retryAfter: e.retryAfterSeconds } : {}),
      };
    }
  }
  message = {
    ...message,
    status: finishReason === "aborted" ? "aborted" : finishReason === "error" ? "error" : "complete",
    usage,
  };
  recorder?.end(message);
  yield { type: "turn-end", message, usage, finishReason };
}

function isTimeout(reason: unknown): boolean {
  return reason instanceof Error && reason.name === "TimeoutError";
}

function toolCallEvent(call: ToolCall): TurnEventBody {
  let args: unknown = call.function.arguments;
  try {
    args = JSON.parse(call.function.arguments);
  } catch {
    // Shown as the raw string; the tool step reports the parse error to the model.
  }
  return { type: "tool-call", callId: call.id, name: call.function.name, args };
}
