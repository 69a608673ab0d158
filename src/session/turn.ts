/**
 * One turn: ask the model; while it calls tools, run the tool step and ask again (up to the step
 * limit); end with exactly one `turn-end`. It knows nothing of storage or wire formats: it yields
 * TurnEvents, and the message changes from which a transcript stores the rows (`TurnOutput`).
 */
import type { FinishReason, StoredMessage, TurnEventBody, Usage } from "../events/types";
import { logError } from "../lib/log";
import { UpstreamError } from "../llm/errors";
import type { ChatMessage, ChatProvider, ChatRequest, ToolDefinition } from "../llm/provider";
import { ToolCallAssembler } from "../llm/tool-call-assembler";
import type { ToolInfo, ToolSource } from "../tools/types";
import type { Elicitations } from "./elicitations";
import { runToolStep, toolCallEvent } from "./tool-step";
import { streamingReply, type TurnOutput } from "./turn-output";

interface TurnLimits {
  maxToolSteps: number;
  toolTimeoutMs: number;
  toolResultMaxChars: number;
}

/** Everything one turn needs; the session builds it, and a test can too. */
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
  /** Where the tools' questions for the user wait for an answer. */
  elicitations?: Elicitations;
  /** Completes the messages before the first request (reads attached files). */
  prepare?: (messages: ChatMessage[]) => Promise<ChatMessage[]>;
}

/** Runs one turn; what it yields goes to the transcript, then (the events) to the clients. */
export async function* runTurn(spec: TurnSpec): AsyncGenerator<TurnOutput> {
  const { provider, signal, limits } = spec;
  const messages: ChatMessage[] = [...spec.request.messages];
  let message = streamingReply(spec.messageId, spec.createdAt, spec.request.model);
  let usage: Usage | null = null;
  let finishReason: FinishReason = "stop";
  const toolStep = spec.tools && {
    tools: spec.tools,
    timeoutMs: limits.toolTimeoutMs,
    provider,
    model: spec.request.model,
    signal,
    maxChars: limits.toolResultMaxChars,
    elicitations: spec.elicitations,
  };
  yield { type: "turn-start", messageId: message.id, createdAt: message.created_at };

  try {
    if (spec.prepare) messages.splice(0, messages.length, ...(await spec.prepare(messages)));
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
      if (calls.length === 0 || !toolStep) {
        finishReason = stepFinish === "tool-calls" ? "stop" : stepFinish;
        break;
      }

      // Still `streaming`: the turn goes on, and its end gives every one of its messages its status.
      message = { ...message, tool_calls: calls };
      messages.push(...(yield* runToolStep(message, toolStep)));
      // What the model says after the results is a message of its own, stored after them.
      message = streamingReply(crypto.randomUUID(), new Date().toISOString(), spec.request.model);
      yield { type: "message-added", message };
    }
  } catch (err) {
    const failure = failureOf(err, signal);
    finishReason = failure.finishReason;
    if (failure.error) yield failure.error;
  }
  message = { ...message, status: finalStatus(finishReason), usage };
  yield { type: "turn-end", message, usage, finishReason };
}

function toolDefinitions(list: ToolInfo[]): ToolDefinition[] {
  return list.map((t) => ({
    type: "function",
    function: { name: t.name, description: t.description, parameters: t.input_schema },
  }));
}

async function serverToolDefinitions(tools: ToolSource | undefined): Promise<ToolDefinition[] | undefined> {
  const list = tools ? await tools.list() : [];
  return list.length ? toolDefinitions(list) : undefined;
}

function addUsage(a: Usage | null, b: Usage): Usage {
  if (!a) return b;
  return {
    prompt_tokens: a.prompt_tokens + b.prompt_tokens,
    completion_tokens: a.completion_tokens + b.completion_tokens,
    total_tokens: a.total_tokens + b.total_tokens,
  };
}

/** How a turn that threw ends: the user's abort quietly, the wall-clock cap or a failure with an error. */
function failureOf(err: unknown, signal: AbortSignal): { finishReason: FinishReason; error?: TurnEventBody } {
  if (signal.aborted && isTimeout(signal.reason)) {
    // The turn's wall-clock cap, not the user: an error, with what was written kept.
    return {
      finishReason: "error",
      error: { type: "error", code: "turn_timeout", message: (signal.reason as Error).message },
    };
  }
  if (signal.aborted) return { finishReason: "aborted" };
  if (!(err instanceof UpstreamError)) logError("turn failed", err);
  const e = err instanceof UpstreamError ? err : null;
  return {
    finishReason: "error",
    error: {
      type: "error",
      code: e?.code ?? "internal_error",
      message: e?.message ?? "the turn failed unexpectedly",
      ...(e?.retryAfterSeconds !== undefined ? { retryAfter: e.retryAfterSeconds } : {}),
    },
  };
}

function finalStatus(finishReason: FinishReason): StoredMessage["status"] {
  return finishReason === "aborted" ? "aborted" : finishReason === "error" ? "error" : "complete";
}

function isTimeout(reason: unknown): boolean {
  return reason instanceof Error && reason.name === "TimeoutError";
}
