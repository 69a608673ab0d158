/**
 * A conversation's title, written by the model after the first exchange (the `title-model`
 * alias when configured). Until then, and whenever that fails, the first words of the question.
 */
import type { ModelConfig } from "../llm/model-config";
import type { ChatProvider } from "../llm/provider";

const PROMPT =
  "Write a title of at most six words for the conversation below. Answer with the title only: no quotes, no final period.";
const MAX_TITLE = 60;
const TITLE_WORDS = 8;
const TITLE_CHARS = 80;

/** The model's title, cleaned; null when it gave nothing usable. */
export async function writeTitle(
  provider: ChatProvider,
  model: string,
  question: string,
  answer: string,
  signal: AbortSignal,
): Promise<string | null> {
  let text = "";
  const request = {
    model,
    maxTokens: 24,
    temperature: 0.2,
    messages: [
      { role: "system" as const, content: PROMPT },
      { role: "user" as const, content: `Question: ${question.slice(0, 1000)}\n\nAnswer: ${answer.slice(0, 1000)}` },
    ],
  };
  try {
    for await (const chunk of provider.stream(request, signal)) if (chunk.type === "text") text += chunk.text;
  } catch {
    return null;
  }
  return cleanTitle(text);
}

export function cleanTitle(raw: string): string | null {
  const line = raw.split("\n").find((l) => l.trim()) ?? "";
  const title = line
    .trim()
    .replace(/^(title\s*:\s*)/i, "")
    .replace(/^["'“”‘’`*#]+|["'“”‘’`*]+$/g, "")
    .replace(/[.。]+$/, "")
    .trim();
  if (!title) return null;
  return title.length > MAX_TITLE ? `${title.slice(0, MAX_TITLE - 1)}…` : title;
}

/** Until a model writes one, a conversation is titled by the first words of its first question. */
export function titleFrom(content: string): string {
  const words = content.trim().split(/\s+/).slice(0, TITLE_WORDS).join(" ");
  return words.length > TITLE_CHARS ? `${words.slice(0, TITLE_CHARS - 1)}…` : words;
}

/**
 * Which model writes a conversation's title: one the caller paid for with their own key writes it
 * with that key, on the upstream and model the turn used (the server's key must not pay for it,
 * and the `title-model` alias names a model of the server's upstream); otherwise `title-model`,
 * which `resolveModel` turns into the configured alias or the default model.
 */
export function titleModelConfig(mc: ModelConfig | undefined): ModelConfig {
  if (mc?.api_key) return { api_key: mc.api_key, base_url: mc.base_url, model_name: mc.model_name };
  return { model_name: "title-model" };
}
