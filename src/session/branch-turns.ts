/**
 * Where a regenerate or an edit branches off: the active branch is moved back so that the turn's
 * messages become siblings of the ones they replace (see branches.ts). Nothing is deleted.
 */
import type { Branches } from "./branches";
import type { Refusal, TurnMode } from "./types";

/** Moves the leaf for `mode`; a refusal when there is nothing to answer again or to edit. */
export function branchFor(
  sessionId: string,
  mode: Extract<TurnMode, { kind: "regenerate" | "edit" }>,
  branches: Branches,
): Refusal | null {
  if (mode.kind === "edit" && mode.orNew && !branches.node(mode.messageId)) return null;
  if (mode.messageId !== undefined && !branches.node(mode.messageId))
    return { ok: false, code: "message_not_found", message: `session ${sessionId} has no message ${mode.messageId}` };
  if (mode.kind === "edit") {
    const node = branches.node(mode.messageId)!;
    if (node.role !== "user")
      return { ok: false, code: "invalid_request", message: `message ${mode.messageId} is not a user message` };
    branches.setLeaf(node.parent_id);
    return null;
  }
  const question = branches.questionFor(mode.messageId);
  if (!question)
    return {
      ok: false,
      code: "nothing_to_regenerate",
      message: `session ${sessionId} has no user message to answer again`,
    };
  branches.setLeaf(question.id);
  return null;
}
