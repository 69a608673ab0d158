/** What the turn loop needs from a model: one streamed chat completion, cancellable by a signal. */
import type { ToolCall, Usage } from "../events/types";

/**
 * A part of a user message in OpenAI's chat shape. Images travel to the model as a URL (an
 * `https:` one, or a `data:` URL carrying the bytes); they are not stored.
 */
export type ContentPart =
  | { type: "text"; text: string }
  | { type: "image_url"; image_url: { url: string; detail?: "auto" | "low" | "high" } };

/** A message in OpenAI's chat shape: what goes upstream. */
export interface ChatMessage {
  role: "system" | "user" | "assistant" | "tool";
  /** Parts only on user messages that carry images; text everywhere else. */
  content: string | ContentPart[] | null;
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
  /** Text that ends the reply when the model writes it (OpenAI's `stop`). */
  stop?: string[];
  /**
   * Told when the model has accepted the request (its HTTP answer is a 2xx), before any token: from
   * then on a failure is one of the stream, not a refusal. Not sent upstream.
   */
  onAccepted?: () => void;
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

/** The text of a message's content: its text parts joined, images left out. */
export function contentText(content: ChatMessage["content"]): string {
  if (content === null) return "";
  if (typeof content === "string") return content;
  return content.map((part) => (part.type === "text" ? part.text : "")).join("");
}

/** How many images a message carries. */
export function imageCount(content: ChatMessage["content"]): number {
  return Array.isArray(content) ? content.filter((part) => part.type === "image_url").length : 0;
}
