/**
 * The AI SDK's older data stream protocol on `POST /api/chat`, as a Next.js chat front end sends
 * it: the whole conversation every time in the plain `{role, content}` shape, with `model`,
 * `temperature` and `stream`. Stateless: the messages are the context and nothing is stored.
 */
import type { Context } from "hono";
import { z } from "zod";
import type { AppEnv } from "./app-env";
import { ModelName, PlainMessages } from "./schemas";
import { answerTurn, newSessionId, type RouteTurnInput, startTurnStream } from "./turns";
import { parseWith } from "./validate";

export const DataStreamBody = z.object({
  messages: PlainMessages,
  model: ModelName.optional(),
  temperature: z.number({ error: "must be a number" }).min(0).max(2).optional(),
  stream: z.boolean({ error: "must be a boolean" }).default(true),
});

export type DataStreamBody = z.infer<typeof DataStreamBody>;

/** The turn such a request asks for: its messages are the context, in a fresh session. */
export function dataStreamTurnInput(body: DataStreamBody, sessionId = newSessionId()): RouteTurnInput {
  const modelConfig =
    body.model !== undefined || body.temperature !== undefined
      ? { model_name: body.model, temperature: body.temperature }
      : undefined;
  return { sessionId, mode: { kind: "direct", messages: body.messages }, modelConfig, dialect: "data-stream" };
}

/** Runs the turn such a body asks for: its lines, or with `stream: false` one JSON object. */
export function dataStreamTurn(c: Context<AppEnv>, raw: unknown): Promise<Response> {
  const body = parseWith(DataStreamBody, raw);
  const input = dataStreamTurnInput(body);
  return body.stream ? startTurnStream(c, input) : answerTurn(c, input);
}
