/** The tools of one turn: built-ins plus the configured MCP servers. */
import type { Config } from "../config";
import { builtinTools } from "./builtin";
import { LocalTools } from "./local";
import { Toolbox } from "./toolbox";

export function createToolbox(_config: Config): Toolbox {
  return new Toolbox([new LocalTools(builtinTools)]);
}
