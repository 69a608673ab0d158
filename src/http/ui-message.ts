/**
 * The AI SDK's `useChat` on `POST /api/chat`: UI messages with `parts` and a `trigger`, as its
 * `DefaultChatTransport` posts them, answered with a UI message stream; the turns are stored in
 * session `id`, whose own history is the context (only the new user text is taken). A request
 * whose last message is the assistant's, with tool parts the user approved or denied
 * (`addToolApprovalResponse`), answers the paused turn's calls and streams its continuation.
 */
import type { Context } from "hono";
import { z } from "zod";
import type { Upload } from "../files/attachments";
import { sessionStub } from "../session/address";
import type { TurnStart } from "../session/types";
import type { AppEnv } from "./app-env";
import { ApiError } from "./errors";
import { type TurnWithFiles, upload } from "./files";
import { MAX_CONTENT_CHARS, MAX_MESSAGES, ModelName } from "./schemas";
import { startTurnStream, streamResponse } from "./turns";
import { parseWith, SessionIdSchema } from "./validate";

/** One part of a UI message. Only `text` parts are read; the others (files, tools, steps…) pass. */
const UiPart = z
  .looseObject({
    type: z.string({ error: "must be a string" }).min(1),
    text: z.string({ error: "must be a string" }).max(MAX_CONTENT_CHARS).optional(),
    /** A `file` part: its media type, a `data:` URL, and its name. */
    mediaType: z.string().max(255).optional(),
    url: z.string().optional(),
    filename: z.string().max(255).optional(),
  })
  .refine((p) => p.type !== "text" || p.text !== undefined, { message: "a text part needs text", path: ["text"] });

const UiMessage = z.looseObject({
  id: z.string({ error: "must be a string" }).max(256),
  role: z.enum(["system", "user", "assistant"]),
  parts: z.array(UiPart).max(MAX_MESSAGES),
});

/** What the AI SDK's `DefaultChatTransport` posts (plus `useChat`'s `body` option's fields). */
export const UiChatBody = z
  .object({
    id: SessionIdSchema,
    messages: z.array(UiMessage).max(MAX_MESSAGES),
    trigger: z.enum(["submit-message", "regenerate-message"]),
    /** The reply to regenerate (the id its stream's `start` named); without it, the last one. */
    messageId: z.string().max(256).nullish(),
    /** Optional model choice, through `MODEL_ALIASES`. */
    model: ModelName.optional(),
  })
  .superRefine((body, ctx) => {
    if (body.trigger !== "submit-message") return;
    const last = body.messages.length - 1;
    if (last >= 0 && approvalAnswers(body).length) return;
    if (last < 0 || body.messages[last].role !== "user") {
      ctx.addIssue({ code: "custom", path: ["messages"], message: "must end with the user message to answer" });
    } else if (!userText(body.messages[last]).trim()) {
      ctx.addIssue({ code: "custom", path: ["messages", last, "parts"], message: "the user message has no text part" });
    }
  });

export type UiChatBody = z.infer<typeof UiChatBody>;

/** UI messages carry `parts` and the transport always sends a `trigger`; plain `{role, content}` ones never do. */
export function isUiChatBody(raw: Record<string, unknown>): boolean {
  if ("trigger" in raw) return true;
  return Array.isArray(raw.messages) && raw.messages.some((m) => typeof m === "object" && m !== null && "parts" in m);
}

/** A tool part the user answered (`state: "approval-responded"`), as the AI SDK sends it. */
const RespondedPart = z.object({
  state: z.literal("approval-responded"),
  approval: z.object({
    id: z.string().min(1).max(128),
    approved: z.boolean(),
    reason: z.string().max(2_000).optional(),
  }),
});

/** The answers the last message carries when it is the assistant's with approved or denied calls. */
function approvalAnswers(body: Pick<UiChatBody, "messages">) {
  const last = body.messages.at(-1);
  if (last?.role !== "assistant") return [];
  return last.parts.flatMap((part) => {
    const answered = RespondedPart.safeParse(part);
    if (!answered.success) return [];
    const { id, approved, reason } = answered.data.approval;
    return [{ approvalId: id, approved, ...(reason ? { reason } : {}) }];
  });
}

/** The text a user typed: the message's text parts, in order (attachments are not read). */
function userText(message: z.infer<typeof UiMessage>): string {
  return message.parts
    .filter((p) => p.type === "text")
    .map((p) => p.text ?? "")
    .join("\n");
}

/** The `file` parts of the user message (`data:` URLs, what `useChat` sends for attached files). */
function uiFiles(message: z.infer<typeof UiMessage> | undefined): Upload[] {
  return (message?.parts ?? [])
    .filter((p) => p.type === "file" && p.url?.startsWith("data:"))
    .map((p, i) => upload({ name: p.filename || `file-${i + 1}`, type: p.mediaType ?? "", data: p.url! }));
}

/**
 * The turn a `useChat` request asks for: the server keeps the history, so only the new text (and
 * its files) is taken.
 */
export function uiTurnInput(body: UiChatBody): TurnWithFiles {
  return {
    uploads: body.trigger === "submit-message" ? uiFiles(body.messages.at(-1)) : undefined,
    sessionId: body.id,
    mode:
      body.trigger === "regenerate-message"
        ? { kind: "regenerate", messageId: body.messageId ?? undefined }
        : body.messageId
          ? // `sendMessage({messageId})`: that question reworded, when it is one of ours.
            { kind: "edit", messageId: body.messageId, content: userText(body.messages.at(-1)!), orNew: true }
          : { kind: "persist", content: userText(body.messages.at(-1)!) },
    modelConfig: body.model ? { model_name: body.model } : undefined,
    dialect: "ui-message",
  };
}

/** Starts the turn a `useChat` body asks for (or continues the one it answers) and answers with its UI message stream. */
export async function uiMessageTurn(c: Context<AppEnv>, raw: unknown): Promise<Response> {
  const body = parseWith(UiChatBody, raw);
  const answers = body.trigger === "submit-message" ? approvalAnswers(body) : [];
  if (!answers.length) return startTurnStream(c, uiTurnInput(body));
  const stub = sessionStub(c.env, c.get("owner"), body.id);
  const started = (await stub.answerApprovals(answers, "ui-message")) as TurnStart;
  if (!started.ok) throw new ApiError(started.code, started.message);
  return streamResponse(started.stream, "ui-message", { "X-Session-Id": body.id, "X-Message-Id": started.messageId });
}
