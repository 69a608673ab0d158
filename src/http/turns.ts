/** The seam between routes and sessions: start a turn and hand its stream back as an SSE response. */
import type { Context } from "hono";
import { SSE_HEADERS } from "../events/sse";
import { resolveUpstream, UpstreamRefused } from "../llm/model-config";
import { sessionStub } from "../session/address";
import type { TurnInput } from "../session/chat-session";
import type { AppEnv } from "./app-env";
import { ApiError } from "./errors";

/** Refuses a caller-chosen upstream before any session is touched. */
export function checkUpstream(c: Context<AppEnv>, modelConfig: TurnInput["modelConfig"]): void {
  try {
    resolveUpstream(c.get("config"), modelConfig);
  } catch (err) {
    if (err instanceof UpstreamRefused) throw new ApiError(400, "upstream_not_allowed", err.message, err.param);
    throw err;
  }
}

export async function startTurnStream(c: Context<AppEnv>, input: Omit<TurnInput, "owner">): Promise<Response> {
  checkUpstream(c, input.modelConfig);
  const owner = c.get("owner");
  const started = await sessionStub(c.env, owner, input.sessionId).startTurn({ ...input, owner });
  if (!started.ok) throw new ApiError(started.status, started.code, started.message);
  return new Response(started.stream, {
    headers: { ...SSE_HEADERS, "X-Session-Id": input.sessionId, "X-Message-Id": started.messageId },
  });
}
