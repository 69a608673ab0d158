/**
 * Files attached to messages, in R2 (the `FILES` binding) under `<owner>/<session>/<file id>`: the
 * owner is part of every key, so an owner can only ever name their own files, and a conversation's
 * files are one prefix to delete. What the model is sent for them: an image as an `image_url` part
 * (a `data:` URL, since the model provider cannot read our bucket), a text file inlined as text.
 */
import type { AttachmentRef } from "../events/types";
import type { ChatMessage, ContentPart } from "../llm/provider";

/** Below the 1 MB request body limit once base64-encoded, with room for the message around it. */
export const MAX_ATTACHMENT_BYTES = 700 * 1024;
export const MAX_ATTACHMENTS = 4;
/** What a model is sent as an image; providers take these four. */
export const IMAGE_TYPES = ["image/png", "image/jpeg", "image/gif", "image/webp"];
/** Text the model reads inlined: `text/*`, and the structured formats that are text. */
const TEXT_TYPES = /^(text\/[\w.+-]+|application\/(json|xml|x-yaml|yaml|javascript|x-sh|sql|toml))$/;

/** A file as a caller sent it, before it is stored. */
export interface Upload {
  name: string;
  type: string;
  bytes: Uint8Array;
}

/** Why a file was refused: which limit, in a sentence that names the file. */
export type UploadProblem = { code: "attachment_too_large" | "attachment_type_unsupported"; message: string };

/** The placeholder a stored attachment stands as in a message's parts until the turn reads it. */
const PLACEHOLDER = "edge-chat-attachment:";

export function isImage(type: string): boolean {
  return IMAGE_TYPES.includes(type);
}

/** Checks one file against the limits; null when it may be stored. */
export function uploadProblem(file: Upload): UploadProblem | null {
  const type = file.type.toLowerCase();
  if (!isImage(type) && !TEXT_TYPES.test(type))
    return {
      code: "attachment_type_unsupported",
      message: `${file.name}: ${file.type || "this type"} cannot be attached (images: PNG, JPEG, GIF, WebP; or text files)`,
    };
  if (file.bytes.byteLength > MAX_ATTACHMENT_BYTES)
    return {
      code: "attachment_too_large",
      message: `${file.name} is ${file.bytes.byteLength} bytes; an attachment may be ${MAX_ATTACHMENT_BYTES} bytes at most`,
    };
  if (!isImage(type)) {
    try {
      new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(file.bytes);
    } catch {
      return { code: "attachment_type_unsupported", message: `${file.name} is not UTF-8 text` };
    }
  }
  return null;
}

/** The R2 key prefix of one conversation's files. */
export function sessionPrefix(owner: string, sessionId: string): string {
  return `${encodeURIComponent(owner)}/${sessionId}/`;
}

/** Stores checked files; returns what messages reference them by. */
export async function storeUploads(
  bucket: R2Bucket,
  owner: string,
  sessionId: string,
  files: Upload[],
): Promise<AttachmentRef[]> {
  return Promise.all(
    files.map(async (file) => {
      const ref: AttachmentRef = {
        id: crypto.randomUUID(),
        name: file.name,
        type: file.type.toLowerCase(),
        size: file.bytes.byteLength,
      };
      await bucket.put(sessionPrefix(owner, sessionId) + ref.id, file.bytes, {
        httpMetadata: { contentType: ref.type },
        customMetadata: { name: ref.name },
      });
      return ref;
    }),
  );
}

/** One of the owner's files; null when there is none (another owner's included). */
export function readFile(bucket: R2Bucket, owner: string, sessionId: string, id: string): Promise<R2ObjectBody | null> {
  return bucket.get(sessionPrefix(owner, sessionId) + id);
}

/** Deletes files by reference (a turn refused after its files were stored). */
export async function deleteFiles(bucket: R2Bucket, owner: string, sessionId: string, refs: AttachmentRef[]) {
  if (refs.length) await bucket.delete(refs.map((r) => sessionPrefix(owner, sessionId) + r.id));
}

/** Copies a conversation's files to another conversation of the same owner (a copy of its history). */
export async function copyFiles(bucket: R2Bucket, owner: string, from: string, to: string, refs: AttachmentRef[]) {
  await Promise.all(
    refs.map(async (ref) => {
      const file = await bucket.get(sessionPrefix(owner, from) + ref.id);
      if (!file) return;
      await bucket.put(sessionPrefix(owner, to) + ref.id, await file.arrayBuffer(), {
        httpMetadata: file.httpMetadata,
        customMetadata: file.customMetadata,
      });
    }),
  );
}

/** Deletes every file of a conversation, a page of keys at a time. */
export async function deleteSessionFiles(bucket: R2Bucket, owner: string, sessionId: string): Promise<void> {
  const prefix = sessionPrefix(owner, sessionId);
  let cursor: string | undefined;
  do {
    const page = await bucket.list({ prefix, cursor });
    if (page.objects.length) await bucket.delete(page.objects.map((o) => o.key));
    cursor = page.truncated ? page.cursor : undefined;
  } while (cursor);
}

/** A stored message's attachments as the parts that stand for them until `resolveAttachments`. */
export function placeholderParts(text: string, refs: AttachmentRef[]): ContentPart[] {
  return [
    ...(text ? [{ type: "text" as const, text }] : []),
    ...refs.map((r) => ({ type: "image_url" as const, image_url: { url: `${PLACEHOLDER}${r.id}` } })),
  ];
}

/** The id a placeholder part stands for, if it is one. */
export function placeholderId(part: ContentPart): string | null {
  return part.type === "image_url" && part.image_url.url.startsWith(PLACEHOLDER)
    ? part.image_url.url.slice(PLACEHOLDER.length)
    : null;
}

/**
 * The messages as the model is sent them: each placeholder read from R2 and replaced by the image
 * (a `data:` URL) or the file's text. A file gone from the bucket is said to be missing.
 */
export async function resolveAttachments(
  bucket: R2Bucket,
  owner: string,
  sessionId: string,
  messages: ChatMessage[],
): Promise<ChatMessage[]> {
  return Promise.all(
    messages.map(async (m) => {
      if (!Array.isArray(m.content) || !m.content.some((p) => placeholderId(p) !== null)) return m;
      const parts = await Promise.all(
        m.content.map(async (part): Promise<ContentPart> => {
          const id = placeholderId(part);
          if (id === null || part.type !== "image_url") return part;
          const file = await readFile(bucket, owner, sessionId, id);
          if (!file) return { type: "text", text: "\n[an attached file is missing]" };
          const type = file.httpMetadata?.contentType ?? "";
          const name = file.customMetadata?.name ?? id;
          if (isImage(type))
            return { type: "image_url", image_url: { ...part.image_url, url: dataUrl(type, await file.bytes()) } };
          return { type: "text", text: `\n\nAttached file ${name}:\n\n${await file.text()}` };
        }),
      );
      return { ...m, content: parts };
    }),
  );
}

function dataUrl(type: string, bytes: Uint8Array): string {
  let binary = "";
  for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return `data:${type};base64,${btoa(binary)}`;
}
