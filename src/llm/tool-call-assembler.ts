/**
 * Streamed `tool_calls` arrive as fragments keyed by index: the first carries id and name, the
 * rest pieces of the JSON arguments. This puts them back together.
 */
import type { ToolCall } from "../events/types";
import type { ProviderChunk } from "./provider";

type Delta = Extract<ProviderChunk, { type: "tool-call-delta" }>;

export class ToolCallAssembler {
  private readonly calls = new Map<number, { id?: string; name: string; args: string }>();

  add(delta: Delta): void {
    const call = this.calls.get(delta.index) ?? { name: "", args: "" };
    if (delta.id) call.id = delta.id;
    if (delta.name) call.name += delta.name;
    if (delta.argsDelta) call.args += delta.argsDelta;
    this.calls.set(delta.index, call);
  }

  /** The calls in index order; a call the provider sent without an id gets one. */
  done(): ToolCall[] {
    return [...this.calls.entries()]
      .sort(([a], [b]) => a - b)
      .filter(([, c]) => c.name)
      .map(([index, c]) => ({
        id: c.id ?? `call_${index}_${crypto.randomUUID().slice(0, 8)}`,
        type: "function" as const,
        function: { name: c.name, arguments: c.args || "{}" },
      }));
  }
}
