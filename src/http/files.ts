/**
 * Attachments at the edge: the files a turn's request carries are checked against the limits and
 * stored in R2 before the turn starts (and deleted again if it is refused), and
 * `GET /api/files/{session_id}/{file_id}` reads one back for its owner. A native or AI SDK request
 * names its files beside the text; in the OpenAI, Responses and Messages dialects an image is a
 * `data:` URL part of a user message, stored the same way when the turn is stored.
 */
import type { Context } from "hono";
import { z } from "zod";
import type { AttachmentRef } from "../events/types";
import {
  deleteFiles,
  MAX_ATTACHMENTS,
  placeholderParts,
  readFile,
  storeUploads,
  type Upload,
  uploadProblem,
} from "../files/attachments";
import type { ChatMessage, ContentPart } from "../llm/provider";
import type { AppEnv } from "./app-env";
import { ApiError } from "./errors";
import { errors, routeIn, routes } from "./openapi";
import type { RouteTurnInput } from "./turns";
import { SessionIdSchema } from "./validate";

/** A file in a native request: its name, media type and bytes in base64 (or a `data:` URL). */
export const AttachmentBody = z.object({
  name: z.string({ error: "must be a string" }).trim().min(1).max(255),
  type: z.string({ error: "must be a string" }).max(255),
  // The body limit bounds it; the file's own limit is checked on its bytes, for an error that says so.
  data: z.string({ error: "must be base64" }),
});

export const Attachments = z.array(AttachmentBody).max(MAX_ATTACHMENTS, `at most ${MAX_ATTACHMENTS} files`);

const DATA_URL = /^data:([\w.+-]+\/[\w.+-]+)(?:;[\w=.+-]+)*;base64,(.*)$/s;

/** Bytes of base64 text or of a `data:` URL's payload; a 400 naming the file when it is neither. */
function decode(name: string, data: string): Uint8Array {
  const payload = DATA_URL.exec(data)?.[2] ?? data;
  try {
    return Uint8Array.from(atob(payload), (c) => c.charCodeAt(0));
  } catch {
    throw new ApiError("invalid_request", `${name}: data is not base64`, { param: "attachments" });
  }
}

/** A native or AI SDK file as an upload, checked: 413 or 415 naming the file when it may not be stored. */
export function upload(file: { name: string; type: string; data: string }): Upload {
  const checked = {
    name: file.name,
    type: file.type || DATA_URL.exec(file.data)?.[1] || "",
    bytes: decode(file.name, file.data),
  };
  const problem = uploadProblem(checked);
  if (problem) throw new ApiError(problem.code, problem.message, { param: "attachments" });
  return checked;
}

/** A route's turn with the files it carries not yet stored (`uploads`, or images inside its messages). */
export type TurnWithFiles = RouteTurnInput & { uploads?: Upload[] };

/**
 * Stores a turn's files and returns the turn as the session takes it (references and placeholders,
 * no bytes), and how to delete the files again if the turn does not start. Images inside messages
 * are stored only from the messages a stored turn records (a stateless turn keeps them as sent).
 */
export async function storeTurnFiles(
  c: Context<AppEnv>,
  { uploads = [], ...input }: TurnWithFiles,
): Promise<{ input: RouteTurnInput; discard: () => Promise<void> }> {
  const owner = c.get("owner");
  const { mode } = input;
  const recorded = recordedMessages(mode);
  const inParts = imagesOf(recorded);
  const all = [...uploads, ...inParts.map((p) => p.upload)];
  if (all.length === 0) return { input, discard: async () => {} };
  const refs = await storeUploads(c.env.FILES, owner, input.sessionId, all);
  const discard = () => deleteFiles(c.env.FILES, owner, input.sessionId, refs);
  if (mode.kind === "persist" || mode.kind === "edit")
    return { input: { ...input, mode: { ...mode, attachments: refs } }, discard };
  if (mode.kind !== "append" && mode.kind !== "direct") return { input, discard };
  const byPart = new Map(inParts.map((p, i) => [p.part, refs[uploads.length + i]]));
  const messages = mode.messages.map((m) => (recorded.includes(m) ? withPlaceholders(m, byPart) : m));
  return { input: { ...input, mode: { ...mode, messages, attachments: refs } }, discard };
}

/** The messages a stored turn writes to the history (see `storeTurnInput`). */
function recordedMessages(mode: RouteTurnInput["mode"]): ChatMessage[] {
  if (mode.kind === "append") return mode.store === false ? [] : mode.messages;
  if (mode.kind !== "direct" || !mode.record) return [];
  return mode.messages.slice(mode.messages.findLastIndex((m) => m.role === "assistant") + 1);
}

/** The `data:` URL images of the user messages, each as an upload (checked). */
function imagesOf(messages: ChatMessage[]): { part: ContentPart; upload: Upload }[] {
  const found: { part: ContentPart; upload: Upload }[] = [];
  for (const m of messages) {
    if (m.role !== "user" || !Array.isArray(m.content)) continue;
    for (const part of m.content) {
      if (part.type !== "image_url" || !part.image_url.url.startsWith("data:")) continue;
      found.push({ part, upload: upload({ name: `image-${found.length + 1}`, type: "", data: part.image_url.url }) });
    }
  }
  return found;
}

function withPlaceholders(m: ChatMessage, byPart: Map<ContentPart, AttachmentRef>): ChatMessage {
  if (!Array.isArray(m.content) || !m.content.some((p) => byPart.has(p))) return m;
  const content = m.content.flatMap((p) => {
    const ref = byPart.get(p);
    if (!ref || p.type !== "image_url") return [p];
    const [part] = placeholderParts("", [ref]);
    return [
      p.image_url.detail && part.type === "image_url"
        ? { ...part, image_url: { ...part.image_url, detail: p.image_url.detail } }
        : part,
    ];
  });
  return { ...m, content };
}

const FileParams = z.object({ session_id: SessionIdSchema, file_id: z.string().uuid("must be a file id") });

export const files = routes().openapi(
  routeIn("native")({
    at: "GET /api/files/{session_id}/{file_id}",
    summary: "A file attached to a message of one of the caller's conversations",
    request: { params: FileParams },
    responses: {
      200: {
        description: "the file's bytes, with its media type",
        content: { "application/octet-stream": { schema: z.string() } },
      },
      ...errors("invalid_request", "attachment_not_found"),
    },
  }),
  async (c) => {
    const { session_id, file_id } = c.req.valid("param");
    const file = await readFile(c.env.FILES, c.get("owner"), session_id, file_id);
    if (!file) throw new ApiError("attachment_not_found", `no file ${file_id} in conversation ${session_id}`);
    const name = file.customMetadata?.name ?? file_id;
    return new Response(file.body, {
      headers: {
        "Content-Type": file.httpMetadata?.contentType ?? "application/octet-stream",
        "Content-Length": String(file.size),
        "Content-Disposition": `inline; filename*=UTF-8''${encodeURIComponent(name)}`,
        // Served from our origin: never sniffed into HTML, never a page of its own.
        "X-Content-Type-Options": "nosniff",
        "Content-Security-Policy": "default-src 'none'; sandbox",
        "Cache-Control": "private, max-age=3600",
      },
    });
  },
);
