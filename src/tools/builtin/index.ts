/** The tools built into the Worker. To add one: write it with `defineTool` beside this file and list it here. */
import type { LocalTool } from "../local";
import { currentTime } from "./current-time";

export const builtinTools: LocalTool[] = [currentTime];
