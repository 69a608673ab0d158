/** Request pieces several routes share, so each rule is written once. */
import { z } from "zod";
import type { ContentPart, ToolDefinition } from "../llm/provider";

/** Far above any sane message, far below SQLite's 2 MB row cap and the 1 MB body limit. */
export const MAX_CONTENT_CHARS = 500_000;
export const MAX_MESSAGES = 1000;

/** What a user says: some text, not empty. */
export const MessageText = z.string({ error: "must be a string" }).min(1, "must not be empty").max(MAX_CONTENT_CHARS);

/** A whole conversation in the plain `{role, content}` shape, the caller's own context. */
export const PlainMessages = z
  .array(
    z.object({
      role: z.enum(["system", "user", "assistant"]),
      content: z.string({ error: "must be a string" }).max(MAX_CONTENT_CHARS),
    }),
  )
  .min(1, "must hold at least one message")
  .max(MAX_MESSAGES);

export const ModelName = z.string({ error: "must be a string" }).min(1).max(256);

/** An image a caller sent, as the model is sent it: by URL (an `https:` one, or a `data:` URL). */
export function imagePart(url: string, detail?: "auto" | "low" | "high"): ContentPart {
  return { type: "image_url", image_url: detail ? { url, detail } : { url } };
}

/** A caller's function tool as the model is offered it; OpenAI's defaults for what it leaves out. */
export function functionTool(
  name: string,
  description?: string | null,
  parameters?: Record<string, unknown> | null,
): ToolDefinition {
  return {
    type: "function",
    function: { name, description: description ?? "", parameters: parameters ?? { type: "object", properties: {} } },
  };
}
