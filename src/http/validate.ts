/**
 * Requests through zod, the single source of request types; failures name the field. Routes
 * declare their schemas in `createRoute` and `@hono/zod-openapi` validates with them; this file
 * holds what every route shares: reading a JSON body, and turning a zod failure into our error.
 */
import type { MiddlewareHandler } from "hono";
import { z } from "zod";
import { SESSION_ID_PATTERN } from "../session/address";
import type { AppEnv } from "./app-env";
import { ApiError } from "./errors";

const JSON_TYPE = /^application\/([\w.-]+\+)?json\s*(;|$)/i;

/**
 * Far deeper than any request we define, far shallower than what breaks: a body nested thousands
 * of levels deep parses, but cloning it into a Durable Object overflows the stack (a 500).
 */
export const MAX_JSON_DEPTH = 64;

/**
 * Whether `text` nests arrays and objects more than `limit` levels deep: one pass over the
 * characters with a counter (no recursion), brackets inside strings not counted, stopping at the
 * first level too many.
 */
export function nestsDeeperThan(text: string, limit: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c)
        i++; // a backslash escapes the next character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) {
      inString = true;
    } else if (c === 0x5b || c === 0x7b) {
      if (++depth > limit) return true;
    } else if (c === 0x5d || c === 0x7d) {
      depth--;
    }
  }
  return false;
}

/**
 * Every request body is JSON, and it is read here once: a wrong type is 415, broken JSON or JSON
 * nested too deeply a 400 that says so, all before any route runs; strings are made well-formed. The parsed text stays in Hono's body cache, where the
 * route's validator reads it.
 */
export function jsonBodies(): MiddlewareHandler<AppEnv> {
  return async function jsonBodies(c, next) {
    if (c.req.method === "GET" || c.req.method === "HEAD" || c.req.method === "OPTIONS") return next();
    const type = c.req.header("content-type");
    if (c.req.raw.body === null || c.req.header("content-length") === "0") {
      if (type && JSON_TYPE.test(type)) throw new ApiError("invalid_json", "request body is empty; expected JSON");
      return next();
    }
    if (!type || !JSON_TYPE.test(type)) {
      throw new ApiError("unsupported_media_type", "body must be JSON (Content-Type: application/json)");
    }
    const text = await c.req.text();
    if (nestsDeeperThan(text, MAX_JSON_DEPTH)) {
      throw new ApiError(
        "invalid_request",
        `request body nests arrays and objects more than ${MAX_JSON_DEPTH} levels deep`,
      );
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      throw new ApiError(
        "invalid_json",
        text.trim() === "" ? "request body is empty; expected JSON" : "request body is not valid JSON",
      );
    }
    // An escaped lone UTF-16 surrogate ("\ud800") has no UTF-8 form: storage and RPC would turn it
    // into three U+FFFD. It becomes one here, before any route reads the body.
    if (SURROGATE_ESCAPE.test(text)) {
      // Hono caches each body reading as its promise (its type says the value).
      (c.req.bodyCache as Record<string, unknown>).text = Promise.resolve(JSON.stringify(wellFormed(parsed)));
    }
    await next();
  };
}

const SURROGATE_ESCAPE = /\\u[dD][89a-fA-F]/;

/** `value` with every string (keys too) well-formed UTF-16. Bodies nest 64 levels at most. */
function wellFormed(value: unknown): unknown {
  if (typeof value === "string") return value.toWellFormed();
  if (Array.isArray(value)) return value.map(wellFormed);
  if (value === null || typeof value !== "object") return value;
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k.toWellFormed(), wellFormed(v)]));
}

/** A zod failure as our 400: the first issue, with the field it is about. */
export function zodError(error: z.ZodError, nameParam: (name: string) => string = (name) => name): ApiError {
  const issue = error.issues[0];
  const param = nameParam(issue.path.map(String).join("."));
  return new ApiError("invalid_request", param ? `${param}: ${issue.message}` : issue.message, {
    param: param || undefined,
  });
}

/** For what a route reads by hand (a body whose schema depends on its shape, a header). */
export function parseWith<S extends z.ZodType>(schema: S, raw: unknown): z.infer<S> {
  const result = schema.safeParse(raw);
  if (result.success) return result.data;
  throw zodError(result.error);
}

/** The session id rule, with a message that says it. */
export const SessionIdSchema = z
  .string({ error: "must be a string" })
  .regex(SESSION_ID_PATTERN, "must be 1-128 characters of A-Z, a-z, 0-9, _ or -");

/** A route's `{session_id}` path parameter. */
export const SessionParams = z.object({ session_id: SessionIdSchema });

/** What an EventSource sends back on reconnect: the last `id:` it saw (the session's event seq). */
export const LastEventIdHeaders = z.object({
  "last-event-id": z
    .string()
    .regex(/^\d{0,15}$/, "must be a non-negative integer")
    .transform((v) => (v === "" ? undefined : Number(v)))
    .optional(),
});
