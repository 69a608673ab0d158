/**
 * The OpenAPI document, generated from the same zod schemas that validate requests. Each route
 * file describes its routes with `describeRoute` beside their handlers; `/openapi.json` serves
 * them all, and a test checks that no route of the app is missing.
 */
import { Hono } from "hono";
import { z } from "zod";
import type { AppEnv } from "./app-env";

type Method = "get" | "post" | "delete";

export interface RouteDoc {
  method: Method;
  /** Hono style (`/api/v1/chat/:session_id`). */
  path: string;
  summary: string;
  tag: string;
  body?: z.ZodType;
  query?: z.ZodObject;
  /** Status → description, and the media type when it is not JSON. */
  responses: Record<number, string | { description: string; contentType: string }>;
}

const routes: RouteDoc[] = [];

export function describeRoute(doc: RouteDoc): void {
  routes.push(doc);
}

export function documentedRoutes(): readonly RouteDoc[] {
  return routes;
}

const ERROR_SCHEMA = z.object({
  error: z.object({ message: z.string(), type: z.string(), code: z.string(), param: z.string().optional() }),
});

function jsonSchema(schema: z.ZodType): Record<string, unknown> {
  const { $schema: _drop, ...rest } = z.toJSONSchema(schema, { io: "input", unrepresentable: "any" }) as Record<
    string,
    unknown
  >;
  return rest;
}

export function openApiDocument(): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const r of routes) {
    const path = r.path.replace(/:([A-Za-z_]+)/g, "{$1}");
    const params = [...r.path.matchAll(/:([A-Za-z_]+)/g)].map((m) => ({
      name: m[1],
      in: "path",
      required: true,
      schema: { type: "string" },
    }));
    const query = r.query
      ? Object.entries(r.query.shape).map(([name, s]) => ({
          name,
          in: "query",
          required: false,
          schema: jsonSchema(s as z.ZodType),
        }))
      : [];
    const responses: Record<string, unknown> = {};
    for (const [status, value] of Object.entries(r.responses)) {
      const { description, contentType } =
        typeof value === "string" ? { description: value, contentType: "application/json" } : value;
      const isError = Number(status) >= 400;
      responses[status] = {
        description,
        content: { [contentType]: isError ? { schema: jsonSchema(ERROR_SCHEMA) } : {} },
      };
    }
    paths[path] ??= {};
    paths[path][r.method] = {
      summary: r.summary,
      tags: [r.tag],
      ...(params.length || query.length ? { parameters: [...params, ...query] } : {}),
      ...(r.body
        ? { requestBody: { required: true, content: { "application/json": { schema: jsonSchema(r.body) } } } }
        : {}),
      responses,
    };
  }
  return {
    openapi: "3.1.0",
    info: {
      title: "edge-chat",
      version: "0.1.0",
      description: "A chat backend on Cloudflare Workers + Durable Objects.",
    },
    components: {
      securitySchemes: { bearer: { type: "http", scheme: "bearer" } },
    },
    paths,
  };
}

export const openapi = new Hono<AppEnv>().get("/openapi.json", (c) => c.json(openApiDocument()));

describeRoute({
  method: "get",
  path: "/openapi.json",
  summary: "This document",
  tag: "meta",
  responses: { 200: "OpenAPI 3.1" },
});
