/** An MCP `tools/call` result → the text the model reads (`ToolOutcome`). */
import type { CallToolResult, ContentBlock } from "@modelcontextprotocol/sdk/types.js";
import type { ToolOutcome } from "../tools/types";

/** Decoded size of base64 data, without decoding it. */
function base64Bytes(data: string): number {
  const padding = data.endsWith("==") ? 2 : data.endsWith("=") ? 1 : 0;
  return Math.max(0, Math.floor((data.length * 3) / 4) - padding);
}

/** Text content as is; anything else as a short description, so binary data never reaches the model. */
export function describeContent(block: ContentBlock): string {
  switch (block.type) {
    case "text":
      return block.text;
    case "image":
    case "audio":
      return `[${block.type} ${block.mimeType}, ${base64Bytes(block.data)} bytes]`;
    case "resource_link":
      return block.uri;
    case "resource": {
      const r = block.resource;
      if ("text" in r && typeof r.text === "string") return `[resource ${r.uri}]\n${r.text}`;
      const size = "blob" in r && typeof r.blob === "string" ? `, ${base64Bytes(r.blob)} bytes` : "";
      return `[resource ${r.uri}${r.mimeType ? ` ${r.mimeType}` : ""}${size}]`;
    }
    default:
      return `[${(block as { type?: unknown }).type ?? "unknown"} content]`;
  }
}

/**
 * Joins text items with "\n" (non-text items described); structured content, as JSON, when there is
 * no text. `isError` is the server's. An empty result says so, since some providers refuse an
 * empty tool message.
 */
export function toOutcome(result: CallToolResult | { toolResult: unknown }): ToolOutcome {
  // Servers on the 2024-10-07 protocol answer `{toolResult}` instead of content.
  if (!("content" in result) && "toolResult" in result) {
    return { content: JSON.stringify(result.toolResult) ?? "(no output)", isError: false };
  }
  const r = result as CallToolResult;
  const parts = (r.content ?? []).map(describeContent);
  const hasText = (r.content ?? []).some((b) => b.type === "text");
  let content = parts.join("\n");
  if (!hasText && r.structuredContent !== undefined) {
    const json = JSON.stringify(r.structuredContent);
    content = content ? `${content}\n${json}` : json;
  }
  return { content: content === "" ? "(no output)" : content, isError: r.isError === true };
}
