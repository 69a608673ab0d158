/**
 * One turn: ask the model; while it calls tools, run the tool step and ask again (up to the step
 * limit); end with exactly one `turn-end`. It knows nothing of storage or wire formats: it yields
 * TurnEvents, and the message changes from which a transcript stores the rows (`TurnOutput`).
 */
import type { FinishReason, StoredMessage, ToolCall, TurnEventBody, Usage } from "../events/types";
import { logError } from "../lib/log";
import { UpstreamError } from "../llm/errors";
import type { ChatMessage, ChatProvider, ChatRequest, ToolDefinition } from "../llm/provider";
import { ToolCallAssembler } from "../llm/tool-call-assembler";
import type { ToolInfo, ToolSource } from "../tools/types";
import {
  approvalRequests,
  callsNeedingApproval,
  type Decision,
  presetOutcomes,
  unapprovableOutcome,
} from "./approvals";
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
  /**
   * A stored turn can pause until a person approves its calls (it is picked up later from its
   * rows); a stateless one cannot, and such calls are denied.
   */
  canPause?: boolean;
  /** Where a persisted turn picks up (an approval answered, a restart); absent for a new turn. */
  resume?: TurnResume;
}

/**
 * Where a turn goes on from. `text`: the reply `message` (maybe empty) is continued, the model
 * seeing what it wrote so far. `tools`: the step that `message` asked for runs now, with the
 * people's `decisions`; `restarted`: a restart may have cut its calls, so only idempotent ones run
 * again (a turn that had paused, not restarted, starts a fresh stream with `turn-start`).
 * `steps`: tool steps the turn had done before.
 */
export type TurnResume =
  | { kind: "text"; message: StoredMessage; steps: number }
  | {
      kind: "tools";
      message: StoredMessage;
      steps: number;
      decisions: ReadonlyMap<string, Decision>;
      restarted: boolean;
    };

/** What the model is told when it continues a reply a restart cut. */
const CONTINUE_INSTRUCTION =
  "Your previous reply was cut off by a server restart. Continue it exactly where it stopped: do not repeat anything already written; start with the very next characters.";

/** Runs one turn; what it yields goes to the transcript, then (the events) to the clients. */
export async function* runTurn(spec: TurnSpec): AsyncGenerator<TurnOutput> {
  const { provider, signal, limits } = spec;
  const messages: ChatMessage[] = [...spec.request.messages];
  const { resume } = spec;
  let message = resume?.message ?? streamingReply(spec.messageId, spec.createdAt, spec.request.model);
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
  // A turn continued after a restart goes on in the same stream; one that paused starts a new one.
  if (!resume || (resume.kind === "tools" && !resume.restarted))
    yield { type: "turn-start", messageId: spec.messageId, createdAt: spec.createdAt };
  if (resume) yield { type: "message-resumed", message };

  try {
    if (spec.prepare) messages.splice(0, messages.length, ...(await spec.prepare(messages)));
    const listed = spec.clientTools?.length ? [] : spec.tools ? await spec.tools.list() : [];
    const definitions = spec.clientTools?.length
      ? spec.clientTools
      : listed.length
        ? toolDefinitions(listed)
        : undefined;
    let step = resume?.steps ?? 0;
    // The partial reply and the request to go on, for the first request of a continued reply only.
    let continuing: ChatMessage[] =
      resume?.kind === "text" && message.content
        ? [
            { role: "assistant", content: message.content },
            { role: "system", content: CONTINUE_INSTRUCTION },
          ]
        : [];
    if (resume?.kind === "tools" && toolStep) {
      messages.push(...(yield* decidedStep(resume, listed, toolStep)));
      message = streamingReply(crypto.randomUUID(), new Date().toISOString(), spec.request.model);
      yield { type: "message-added", message };
      step++;
    }
    for (; ; step++) {
      // The last allowed step offers no tools, so the model has to answer in words.
      const offered = step < limits.maxToolSteps ? definitions : undefined;
      const assembler = new ToolCallAssembler();
      let stepFinish: FinishReason = "stop";
      const sent = continuing.length ? [...messages, ...continuing] : messages;
      continuing = [];
      for await (const chunk of provider.stream({ ...spec.request, messages: sent, tools: offered }, signal)) {
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
      const waiting = callsNeedingApproval(calls, listed);
      if (waiting.length && spec.canPause) {
        // Paused: the call waits in the turn's rows, not here. The turn is picked up when answered.
        yield { type: "message-finished", message: { ...message, status: "awaiting_approval" } };
        for (const call of calls) yield toolCallEvent(call);
        yield* approvalRequests(waiting);
        finishReason = "awaiting-approval";
        break;
      }
      const presets = new Map(waiting.map((call) => [call.id, unapprovableOutcome(call)]));
      messages.push(...(yield* runToolStep(message, { ...toolStep, presets })));
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

/** The step a paused (or cut) turn goes on with: the answers, then its calls as they were decided. */
async function* decidedStep(
  resume: Extract<TurnResume, { kind: "tools" }>,
  listed: ToolInfo[],
  toolStep: Parameters<typeof runToolStep>[1],
): AsyncGenerator<TurnOutput, ChatMessage[]> {
  const calls = resume.message.tool_calls ?? [];
  for (const call of calls) {
    const decision = resume.decisions.get(call.id);
    if (decision) yield approvalResponse(call, decision);
  }
  const presets = presetOutcomes(calls, resume.decisions, listed, resume.restarted);
  return yield* runToolStep({ ...resume.message, status: "complete" }, { ...toolStep, presets });
}

function approvalResponse(call: ToolCall, decision: Decision): TurnEventBody {
  const shown = toolCallEvent(call) as Extract<TurnEventBody, { type: "tool-call" }>;
  return {
    type: "tool-approval-response",
    approvalId: decision.approvalId,
    callId: call.id,
    name: call.function.name,
    args: shown.args,
    approved: decision.approved,
    ...(decision.reason ? { reason: decision.reason } : {}),
  };
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
  if (finishReason === "awaiting-approval") return "awaiting_approval";
  return finishReason === "aborted" ? "aborted" : finishReason === "error" ? "error" : "complete";
}

function isTimeout(reason: unknown): boolean {
  return reason instanceof Error && reason.name === "TimeoutError";
}
