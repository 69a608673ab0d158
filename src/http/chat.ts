/**
 * `POST /api/chat`, where two kinds of front end post, told apart by the body's shape: the AI
 * SDK's `useChat` (UI messages with `parts`, and a `trigger`; see ui-message.ts) and the older
 * data stream protocol's plain messages (see data-stream.ts).
 */
import { z } from "zod";
import { DataStreamBody, dataStreamTurn } from "./data-stream";
import { errors, routeIn, routes, stream } from "./openapi";
import { isUiChatBody, UiChatBody, uiMessageTurn } from "./ui-message";
import { parseWith } from "./validate";

const AnyObject = z.looseObject({}, { error: "request body must be a JSON object" });

/**
 * Documented as either body; validated by the handler, which picks the schema from the shape
 * (a union's errors would not say which of the two a body was meant to be).
 */
const documentedBody = z.toJSONSchema(z.union([UiChatBody, DataStreamBody]), { io: "input", unrepresentable: "any" });

const route = routeIn("chat");

export const chat = routes().openapi(
  route({
    at: "POST /api/chat",
    summary:
      "AI SDK useChat (UI messages → UI message stream, stored in session `id`) or plain messages (→ data stream lines `0:`/`9:`/`a:`/`3:`/`d:`, or JSON with stream:false; stateless)",
    request: { body: { content: { "application/json": { schema: documentedBody as object } }, required: true } },
    responses: {
      200: stream(
        "UI message stream (x-vercel-ai-ui-message-stream: v1), or data stream lines; JSON when stream is false",
      ),
      ...errors("invalid_request", "turn_in_progress", "upstream_unavailable"),
    },
  }),
  async (c) => {
    const raw = parseWith(AnyObject, await c.req.json());
    return isUiChatBody(raw) ? uiMessageTurn(c, raw) : dataStreamTurn(c, raw);
  },
);
