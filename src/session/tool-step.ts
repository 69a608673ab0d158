/**
 * One tool step of a turn: run every tool call the model asked for, concurrently, streaming
 * their progress as it happens and their results as they land.
 */
import type { ToolCall, TurnEventBody } from "../events/types";
import type { ToolOutcome, ToolSource } from "../tools/types";
import { AsyncQueue } from "./async-queue";

export interface ToolRun {
  call: ToolCall;
  content: string;
  isError: boolean;
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
 * Yields `tool-progress` and `tool-result` events as they happen; returns every run in the order
 * of the calls. A call cut short by an abort is a run too ("cancelled"), so the stored history
 * never holds a tool call without its result.
 */
export async function* runToolCalls(
  calls: ToolCall[],
  tools: ToolSource,
  signal: AbortSignal,
  timeoutMs: number,
): AsyncGenerator<TurnEventBody, ToolRun[]> {
  const queue = new AsyncQueue<TurnEventBody>();
  const runOne = async (call: ToolCall): Promise<ToolOutcome> => {
    const parsed = parseArguments(call);
    if (!parsed.ok) return { isError: true, content: `${call.function.name}: ${parsed.error}` };
    try {
      return await tools.call(call.function.name, parsed.args, {
        signal,
        timeoutMs,
        progress: (text) => queue.push({ type: "tool-progress", callId: call.id, text }),
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
      });
      return { call, ...outcome };
    }),
  ).finally(() => queue.end());
  for await (const event of queue) yield event;
  return runs;
}
