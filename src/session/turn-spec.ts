/**
 * What a turn runs with, from the server's config and the caller's input: the model settings of
 * its upstream request (the messages come from its mode, `turn-modes.ts`), and the provider,
 * tools and limits around it.
 */
import type { Config } from "../config";
import { resolveAttachments } from "../files/attachments";
import { createModelProvider, type ModelConfig, turnModel } from "../llm/model-config";
import type { ChatRequest } from "../llm/provider";
import { createToolbox, type ToolOwner } from "../tools/create";
import type { TurnSpec } from "./turn";
import type { TurnInput } from "./types";

/**
 * The request sent upstream but for its messages: the caller's model settings within the
 * server's bounds. Called before anything is stored, so a refused upstream stores nothing.
 */
export function modelSettings(config: Config, modelConfig: ModelConfig | undefined): Omit<ChatRequest, "messages"> {
  return {
    model: turnModel(config, modelConfig),
    temperature: modelConfig?.temperature,
    // Always bounded: the caller's value, capped; the cap when the caller names none.
    maxTokens: Math.min(modelConfig?.max_tokens ?? config.maxOutputTokens, config.maxOutputTokens),
  };
}

/**
 * The turn itself; `reply` is the assistant message already stored for a stored turn; `owner` is
 * whose MCP tokens and added servers its tools use.
 */
export function turnSpec(
  config: Config,
  input: TurnInput,
  request: ChatRequest,
  reply: { id: string; created_at: string },
  owner: ToolOwner,
  /** Where attached files are (R2), for a turn whose history may hold some. */
  files?: R2Bucket,
): Omit<TurnSpec, "signal"> {
  return {
    provider: createModelProvider(config, input.modelConfig),
    request,
    messageId: reply.id,
    createdAt: reply.created_at,
    // The caller's own tools replace ours: their calls go back to the caller, none run here.
    tools: input.clientTools?.length ? undefined : createToolbox(config, owner),
    clientTools: input.clientTools,
    prepare: files ? (messages) => resolveAttachments(files, input.owner, input.sessionId, messages) : undefined,
    limits: {
      maxToolSteps: config.maxToolSteps,
      toolTimeoutMs: config.toolTimeoutMs,
      toolResultMaxChars: config.toolResultMaxChars,
    },
  };
}
