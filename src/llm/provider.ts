/** What the turn loop needs from a model: one streamed chat completion, cancellable by a signal. */
import type { ToolCall, Usage } from "../events/types";

/** A message in OpenAI's chat shape: what goes upstream. */
export interface ChatMessage {
  role: "system" | "user" | "assistant" | "tool";
  content: string | null;
  tool_calls?: ToolCall[];
  tool_call_id?: string;
  name?: string;
}

/** A tool offered to the model, in OpenAI's `tools` shape. */
export interface ToolDefinition {
  type: "function";
  function: { name: string; description: string; parameters: Record<string, unknown> };
}

export interface ChatRequest {
  model: string;
  messages: ChatMessage[];
  temperature?: number;
  maxTokens?: number;
  tools?: ToolDefinition[];
}

export type ProviderChunk =
  | { type: "text"; text: string }
  | { type: "tool-call-delta"; index: number; id?: string; name?: string; argsDelta?: string }
  | { type: "usage"; usage: Usage }
  | { type: "finish"; reason: "stop" | "length" | "tool-calls" }
  /** A fallback model took over: the reply is this model's. */
  | { type: "model"; model: string };

export interface ChatProvider {
  /** Streams one completion. Aborting `signal` must cancel the upstream request itself. */
  stream(request: ChatRequest, signal: AbortSignal): AsyncIterable<ProviderChunk>;
}
