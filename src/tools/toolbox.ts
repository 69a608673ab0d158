/**
 * Every tool a turn may call, from every source: the Worker's built-ins first (their names are
 * reserved), then each MCP server's. Calls are routed by the unique model-facing name.
 */
import type { ToolCallContext, ToolInfo, ToolOutcome, ToolSource } from "./types";

export class Toolbox implements ToolSource {
  private routes = new Map<string, ToolSource>();

  constructor(private readonly sources: ToolSource[]) {}

  async list(): Promise<ToolInfo[]> {
    const all: ToolInfo[] = [];
    this.routes = new Map();
    for (const source of this.sources) {
      for (const tool of await source.list()) {
        // A clash the sources did not resolve: the earlier source keeps the name.
        if (this.routes.has(tool.name)) continue;
        this.routes.set(tool.name, source);
        all.push(tool);
      }
    }
    return all;
  }

  async call(name: string, args: Record<string, unknown>, ctx: ToolCallContext): Promise<ToolOutcome> {
    if (this.routes.size === 0) await this.list();
    const source = this.routes.get(name);
    if (!source) return { isError: true, content: `unknown tool ${name}` };
    return source.call(name, args, ctx);
  }

  async close(): Promise<void> {
    await Promise.allSettled(this.sources.map((s) => s.close()));
  }
}
