/**
 * Approve and Deny on a tool card whose call waits for the user (the stream's
 * `tool_approval_request`). The turn is paused on the server, nothing held open; the answer
 * (`POST /api/chat/{session}/approvals/{id}`) lets it go on, and `follow()` then shows the rest
 * in the same reply.
 */
import { el } from "./messages.js";

/**
 * `view`: the reply's AssistantView; `answer(approved)` sends the answer and resolves with the
 * server's `{approved, state}`; `follow()` is called once the turn goes on.
 */
export function showApproval(view, { callId, toolName }, answer, follow) {
  const entry = view.cards.get(callId);
  if (!entry) return;
  entry.card.dataset.state = "awaiting-approval";
  entry.state.textContent = "waits for your approval";
  const box = el(
    "div",
    { class: "approval", role: "group", "aria-label": `Approve ${toolName}?` },
    el("p", { class: "approval-message" }, `Run ${toolName} with these arguments?`),
    el(
      "div",
      { class: "row" },
      el("button", { type: "button", class: "primary approve" }, "Approve"),
      el("button", { type: "button", class: "decline deny" }, "Deny"),
    ),
  );
  const send = async (approved) => {
    for (const b of box.querySelectorAll("button")) b.disabled = true;
    try {
      const result = await answer(approved);
      box.replaceChildren(el("p", { class: "approval-message" }, approved ? "Approved." : "Denied."));
      entry.state.textContent = approved ? "approved" : "denied";
      if (result.state === "running") follow();
    } catch (err) {
      for (const b of box.querySelectorAll("button")) b.disabled = false;
      box.append(el("p", { class: "detail", role: "alert" }, err?.message ?? "not sent"));
    }
  };
  box.querySelector("button.approve").addEventListener("click", () => send(true));
  box.querySelector("button.deny").addEventListener("click", () => send(false));
  entry.card.append(box);
}
