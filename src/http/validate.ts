/** Request bodies through zod, the single source of request types; failures name the field. */
import type { Context } from "hono";
import { z } from "zod";
import { SESSION_ID_PATTERN } from "../session/address";
import { ApiError } from "./errors";

export async function readJson<S extends z.ZodType>(c: Context, schema: S): Promise<z.infer<S>> {
  const type = c.req.header("content-type") ?? "";
  if (type && !/^application\/json\b|\+json\b/i.test(type) && !/^text\/plain\b/i.test(type)) {
    throw new ApiError(415, "unsupported_media_type", "body must be JSON (Content-Type: application/json)");
  }
  const text = await c.req.text();
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw new ApiError(
      400,
      "invalid_json",
      text.trim() === "" ? "request body is empty; expected JSON" : "request body is not valid JSON",
    );
  }
  return parseWith(schema, raw);
}

export function parseWith<S extends z.ZodType>(schema: S, raw: unknown): z.infer<S> {
  const result = schema.safeParse(raw);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const param = issue.path.map(String).join(".");
  throw new ApiError(400, "invalid_request", param ? `${param}: ${issue.message}` : issue.message, param || undefined);
}

/** The session id rule, with a message that says it. */
export const SessionIdSchema = z
  .string({ error: "must be a string" })
  .regex(SESSION_ID_PATTERN, "must be 1-128 characters of A-Z, a-z, 0-9, _ or -");
