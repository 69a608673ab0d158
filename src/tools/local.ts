/**
 * Tools written in TypeScript inside the Worker, beside MCP tools: each is a name, a description,
 * a zod input schema (the one source of its JSON Schema and of argument checking) and a handler
 * that can report progress and must honour the abort signal.
 */
import { z } from "zod";
import type { ToolCallContext, ToolInfo, ToolOutcome, ToolSource } from "./types";

export interface LocalTool<S extends z.ZodObject = z.ZodObject> {
  name: string;
  description: string;
  input: S;
  /** Each call waits for a person's approval first. */
  approval?: boolean;
  /** Running it twice does no harm: a call a restart cut short is run again. */
  idempotent?: boolean;
  handler(args: z.infer<S>, ctx: Pick<ToolCallContext, "signal" | "progress">): Promise<unknown>;
}

/** Keeps a tool's argument type tied to its schema. */
export function defineTool<S extends z.ZodObject>(tool: LocalTool<S>): LocalTool {
  return tool as unknown as LocalTool;
}

export const BUILTIN_SERVER = "builtin";

/** Made once per tool: a tool is fixed, and every turn lists the tools (z.toJSONSchema is not cheap). */
const infos = new WeakMap<LocalTool, ToolInfo>();

function infoOf(t: LocalTool): ToolInfo {
  let info = infos.get(t);
  if (!info) {
    info = {
      name: t.name,
      description: t.description,
      input_schema: z.toJSONSchema(t.input) as Record<string, unknown>,
      server: BUILTIN_SERVER,
      requires_approval: t.approval === true,
      idempotent: t.idempotent === true,
    };
    infos.set(t, info);
  }
  return info;
}

export class LocalTools implements ToolSource {
  private readonly byName: Map<string, LocalTool>;

  constructor(tools: readonly LocalTool[]) {
    this.byName = new Map(tools.map((t) => [t.name, t]));
  }

  names(): string[] {
    return [...this.byName.keys()];
  }

  async list(): Promise<ToolInfo[]> {
    return [...this.byName.values()].map(infoOf);
  }

  async call(name: string, args: Record<string, unknown>, ctx: ToolCallContext): Promise<ToolOutcome> {
    const tool = this.byName.get(name);
    if (!tool) return { isError: true, content: `unknown tool ${name}` };
    const parsed = tool.input.safeParse(args);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      return { isError: true, content: `invalid arguments: ${issue.path.join(".") || "(root)"}: ${issue.message}` };
    }
    const timeout = AbortSignal.timeout(ctx.timeoutMs);
    const signal = AbortSignal.any([ctx.signal, timeout]);
    try {
      const result = await Promise.race([
        tool.handler(parsed.data, { signal, progress: ctx.progress }),
        new Promise<never>((_, reject) =>
          signal.addEventListener("abort", () => reject(signal.reason), { once: true }),
        ),
      ]);
      return { isError: false, content: typeof result === "string" ? result : JSON.stringify(result) };
    } catch (err) {
      if (ctx.signal.aborted) throw ctx.signal.reason;
      if (timeout.aborted) return { isError: true, content: `${name} timed out after ${ctx.timeoutMs} ms` };
      return { isError: true, content: `${name} failed: ${err instanceof Error ? err.message : String(err)}` };
    }
  }

  async close(): Promise<void> {}
}
