/**
 * Tool approval, the turn's side of it: which calls of a step wait for a person, and what the
 * tool step does with each call once the answers (or a restart) are known. Pure: the rows live in
 * turn-state.ts.
 */
import type { ToolCall, TurnEventBody } from "../events/types";
import type { ToolInfo, ToolOutcome } from "../tools/types";
import { toolCallEvent } from "./tool-step";

/** A person's answer to one call (a timeout is a denial with its own reason). */
export interface Decision {
  approvalId: string;
  approved: boolean;
  reason?: string;
}

/** An outcome decided before the call would run: it does not run. */
export type PresetOutcome = ToolOutcome & { denied?: boolean };

/** The calls of a step whose tool waits for a person's approval. */
export function callsNeedingApproval(calls: ToolCall[], tools: readonly ToolInfo[]): ToolCall[] {
  const gated = new Set(tools.filter((t) => t.requires_approval).map((t) => t.name));
  return calls.filter((c) => gated.has(c.function.name));
}

/** The approval requests of a paused step, one per waiting call. */
export function approvalRequests(calls: ToolCall[]): TurnEventBody[] {
  return calls.map((call) => {
    const shown = toolCallEvent(call) as Extract<TurnEventBody, { type: "tool-call" }>;
    return {
      type: "tool-approval-request",
      approvalId: crypto.randomUUID(),
      callId: call.id,
      name: call.function.name,
      args: shown.args,
    };
  });
}

export function deniedOutcome(call: ToolCall, reason: string | undefined): PresetOutcome {
  return {
    isError: true,
    denied: true,
    content: `${call.function.name} was not run: the user denied it${reason ? ` (${reason})` : ""}.`,
  };
}

/** A call that no one can approve: the turn is not stored, so it cannot wait for an answer. */
export function unapprovableOutcome(call: ToolCall): PresetOutcome {
  return deniedOutcome(call, "it needs an approval, and this reply is not stored, so it cannot wait for one");
}

/** A call a restart cut short, which is not safe to run twice. */
export function interruptedOutcome(call: ToolCall): PresetOutcome {
  return {
    isError: true,
    content: `${call.function.name} was interrupted by a server restart and was not run again (it is not marked idempotent); it may or may not have taken effect.`,
  };
}

/**
 * What the resumed step does with each call: a denied one is reported as denied; after a restart
 * a call that may have run already is run again only when its tool is idempotent.
 */
export function presetOutcomes(
  calls: ToolCall[],
  decisions: ReadonlyMap<string, Decision>,
  tools: readonly ToolInfo[],
  restarted: boolean,
): Map<string, PresetOutcome> {
  const idempotent = new Set(tools.filter((t) => t.idempotent).map((t) => t.name));
  const presets = new Map<string, PresetOutcome>();
  for (const call of calls) {
    const decision = decisions.get(call.id);
    if (decision && !decision.approved) presets.set(call.id, deniedOutcome(call, decision.reason));
    else if (restarted && !idempotent.has(call.function.name)) presets.set(call.id, interruptedOutcome(call));
  }
  return presets;
}
