/**
 * One tool step of a turn: the assistant message that asked is written (still `streaming`: the
 * turn's end settles it); its calls run concurrently, their progress and results streaming as they
 * happen; each result joins the history in full; and the model reads each one back, condensed when
 * it is long.
 */
import type { StoredMessage, ToolCall, TurnEventBody } from "../events/types";
import type { ChatMessage } from "../llm/provider";
import type { ElicitationRequest, ToolOutcome, ToolSource } from "../tools/types";
import { AsyncQueue } from "./async-queue";
import { type CondenseOptions, condenseResult } from "./condense";
import { defaultAnswer, type Elicitations } from "./elicitations";
import type { TurnOutput } from "./turn-output";

/** What a tool step needs besides the calls: the tools, their time limit, and the condenser. */
interface ToolStepOptions extends CondenseOptions {
  tools: ToolSource;
  timeoutMs: number;
  /** Where the questions of the tools' servers wait for the user; without it they are declined. */
  elicitations?: Elicitations;
  /** Calls already decided (denied, or cut by a restart): they do not run, this is their result. */
  presets?: ReadonlyMap<string, ToolOutcome & { denied?: boolean }>;
}

interface ToolRun {
  call: ToolCall;
  content: string;
  isError: boolean;
  denied?: boolean;
}

/** Arguments as the model sent them: a JSON object, or an error the model can read. */
export function parseArguments(
  call: ToolCall,
): { ok: true; args: Record<string, unknown> } | { ok: false; error: string } {
  try {
    const parsed: unknown = JSON.parse(call.function.arguments || "{}");
    if (parsed && typeof parsed === "object" && !Array.isArray(parsed))
      return { ok: true, args: parsed as Record<string, unknown> };
    return { ok: false, error: "arguments must be a JSON object" };
  } catch {
    return { ok: false, error: "arguments are not valid JSON" };
  }
}

/**
 * Runs the calls of `asked` (an assistant message with `tool_calls`, written as it is). Yields the
 * message changes and events of the step; returns what the model reads next: the assistant
 * message, then one result per call. A step cut short by an abort still adds a result for every
 * call ("cancelled"), so the stored history never holds a call without its result, and throws
 * the abort before anything is condensed.
 */
export async function* runToolStep(
  asked: StoredMessage,
  step: ToolStepOptions,
): AsyncGenerator<TurnOutput, ChatMessage[]> {
  const calls = asked.tool_calls ?? [];
  yield { type: "message-finished", message: asked };
  const forModel: ChatMessage[] = [{ role: "assistant", content: asked.content || null, tool_calls: calls }];
  for (const call of calls) yield toolCallEvent(call);
  const runs = yield* runToolCalls(calls, step);
  for (const run of runs) yield { type: "message-added", message: toolMessage(run) };
  if (step.signal.aborted) throw step.signal.reason;
  for (const run of runs) {
    const content = yield* condenseResult(run.call.id, run.content, step);
    forModel.push({ role: "tool", tool_call_id: run.call.id, content });
  }
  return forModel;
}

/**
 * Yields `tool-progress` and `tool-result` events as they happen; returns every run in the order
 * of the calls.
 */
async function* runToolCalls(
  calls: ToolCall[],
  { tools, signal, timeoutMs, elicitations, presets }: ToolStepOptions,
): AsyncGenerator<TurnEventBody, ToolRun[]> {
  const queue = new AsyncQueue<TurnEventBody>();
  /** A server's question during `call`: shown to the user (who has the tool's time limit to answer), or answered by its defaults. */
  const elicit =
    elicitations &&
    ((call: ToolCall) => async (request: ElicitationRequest) => {
      if (!elicitations.shown) return defaultAnswer(request);
      const elicitationId = crypto.randomUUID();
      // Waiting before the question goes out: an answer can never arrive before it is expected.
      const answer = elicitations.wait(elicitationId, timeoutMs, signal);
      queue.push({ type: "tool-elicitation", callId: call.id, elicitationId, ...request });
      return answer;
    });
  const runOne = async (call: ToolCall): Promise<ToolOutcome & { denied?: boolean }> => {
    const preset = presets?.get(call.id);
    if (preset) return preset;
    const parsed = parseArguments(call);
    if (!parsed.ok) return { isError: true, content: `${call.function.name}: ${parsed.error}` };
    try {
      return await tools.call(call.function.name, parsed.args, {
        signal,
        timeoutMs,
        progress: (text) => queue.push({ type: "tool-progress", callId: call.id, text }),
        ...(elicit ? { elicit: elicit(call) } : {}),
      });
    } catch (err) {
      if (signal.aborted) return { isError: true, content: "cancelled: the turn was aborted before the tool finished" };
      return {
        isError: true,
        content: `${call.function.name} failed: ${err instanceof Error ? err.message : "unknown error"}`,
      };
    }
  };
  const runs = Promise.all(
    calls.map(async (call): Promise<ToolRun> => {
      const outcome = await runOne(call);
      queue.push({
        type: "tool-result",
        callId: call.id,
        name: call.function.name,
        result: outcome.content,
        isError: outcome.isError,
        ...(outcome.denied ? { denied: true } : {}),
      });
      return { call, ...outcome };
    }),
  ).finally(() => queue.end());
  for await (const event of queue) yield event;
  return runs;
}

/** A call as clients see it: the arguments parsed when they are JSON. */
export function toolCallEvent(call: ToolCall): TurnEventBody {
  let args: unknown = call.function.arguments;
  try {
    args = JSON.parse(call.function.arguments);
  } catch {
    // Shown as the raw string; the tool step reports the parse error to the model.
  }
  return { type: "tool-call", callId: call.id, name: call.function.name, args };
}

/** A result as stored: the full output, whatever the model is sent. */
function toolMessage(run: ToolRun): StoredMessage {
  return {
    id: crypto.randomUUID(),
    role: "tool",
    content: run.content,
    tool_call_id: run.call.id,
    name: run.call.function.name,
    created_at: new Date().toISOString(),
    status: run.isError ? "error" : "complete",
    usage: null,
  };
}
