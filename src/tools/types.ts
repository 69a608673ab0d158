/**
 * Tools the model can call, whatever serves them: remote MCP servers or TypeScript handlers
 * inside the Worker. The turn loop only sees this interface.
 */

/** One tool as the model and `/api/tools` see it. `name` is unique across all sources. */
export interface ToolInfo {
  name: string;
  description: string;
  /** JSON Schema of the arguments (an object schema). */
  input_schema: Record<string, unknown>;
  /** The MCP server's configured name, or "builtin" for tools inside the Worker. */
  server: string;
  /** A person approves each call before it runs (the turn pauses until then). */
  requires_approval?: boolean;
  /** Safe to run again when a restart cut a call short (otherwise the model is told it was interrupted). */
  idempotent?: boolean;
}

/** A form a tool's server asks the user to fill in while the tool runs (MCP elicitation). */
export interface ElicitationRequest {
  message: string;
  /** A flat JSON Schema object of primitive fields. */
  requestedSchema: Record<string, unknown>;
}

export interface ElicitationAnswer {
  action: "accept" | "decline" | "cancel";
  content?: Record<string, string | number | boolean | string[]>;
}

export interface ToolCallContext {
  /** Aborting cancels the call (the MCP request itself, via the SDK's request signal). */
  signal: AbortSignal;
  /** A progress notification or log line while the tool runs: shown live to the user. */
  progress(text: string): void;
  timeoutMs: number;
  /**
   * Asks the user; resolves with their answer (a decline when none comes in time). Time spent
   * waiting for a person does not count against `timeoutMs`. Absent: every request is declined.
   */
  elicit?(request: ElicitationRequest): Promise<ElicitationAnswer>;
}

/** What a call produced. Failures are outcomes too (`isError`), never exceptions: the turn goes on. */
export interface ToolOutcome {
  /** Text for the model (MCP text content joined; structured content as JSON). */
  content: string;
  isError: boolean;
}

export interface ToolSource {
  list(): Promise<ToolInfo[]>;
  call(name: string, args: Record<string, unknown>, ctx: ToolCallContext): Promise<ToolOutcome>;
  /** Releases connections; the source is not used afterwards. */
  close(): Promise<void>;
}
