/**
 * The message list's DOM: user bubbles, and assistant replies made of text parts and tool cards.
 * The same AssistantView renders a live stream and a stored conversation, so a reply looks the
 * same before and after a reload. Text from the server only ever reaches the page as text nodes
 * or through renderMarkdown, which escapes it.
 */
import { renderMarkdown } from "./markdown.js";

/** `el("p", {class: "x"}, "text", child)`: strings become text nodes, never HTML. */
export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value !== null && value !== undefined && value !== false)
      node.setAttribute(name, value === true ? "" : String(value));
  }
  node.append(...children.filter((c) => c !== null && c !== undefined));
  return node;
}

/**
 * A question. `attachments`: `{name, type, url?}` each, `url` a picture to show now (a file the
 * user just picked); stored ones are loaded by `showAttachments`.
 */
export function userMessage(text, attachments = []) {
  const node = el(
    "article",
    { class: "msg user", "aria-label": "You" },
    el("div", { class: "bubble" }, text),
    attachments.length ? el("ul", { class: "attachments", "aria-label": "Attachments" }) : null,
    el(
      "div",
      { class: "msg-actions" },
      el("button", { type: "button", class: "copy-message", "data-action": "copy", "aria-label": "Copy this message" }),
      el("button", { type: "button", class: "edit", "data-action": "edit", "aria-label": "Edit this message" }, "Edit"),
    ),
  );
  for (const file of attachments) node.querySelector(".attachments").append(attachmentItem(file));
  return node;
}

/** One attached file: a picture for an image (once its URL is known), its name for the rest. */
function attachmentItem({ name, type, url, id }) {
  const image = type.startsWith("image/");
  return el(
    "li",
    { class: image ? "attachment image" : "attachment file", "data-file-id": id ?? null },
    image ? el("img", { alt: name, src: url ?? null }) : el("span", { class: "file-icon", "aria-hidden": "true" }),
    image ? null : el("span", { class: "file-name" }, name),
  );
}

/** Shows a stored message's files on its question, each image loaded through `load(id)` (a URL). */
export function showAttachments(node, attachments, load) {
  if (!attachments?.length || node.querySelector(".attachments")) return;
  const list = el("ul", { class: "attachments", "aria-label": "Attachments" });
  for (const file of attachments) {
    const item = attachmentItem(file);
    list.append(item);
    const img = item.querySelector("img");
    if (img)
      load(file.id).then(
        (url) => img.setAttribute("src", url),
        () => img.setAttribute("alt", `${file.name} (not available)`),
      );
  }
  node.querySelector(".bubble").after(list);
}

/**
 * ‹ 2/3 › on a message with siblings (an edited question, a regenerated reply): which one is shown
 * and buttons to the others. `ids`: the siblings in order; `id`: the one shown.
 */
export function branchNav(ids, id) {
  const at = ids.indexOf(id);
  const label = `${at + 1} of ${ids.length}`;
  return el(
    "nav",
    { class: "branches", "aria-label": `Version ${label}` },
    el(
      "button",
      {
        type: "button",
        "data-action": "branch",
        "data-target": ids[at - 1] ?? null,
        "aria-label": "Previous version",
        disabled: at === 0,
      },
      "‹",
    ),
    el("span", { class: "branch-at", "aria-hidden": "true" }, `${at + 1}/${ids.length}`),
    el(
      "button",
      {
        type: "button",
        "data-action": "branch",
        "data-target": ids[at + 1] ?? null,
        "aria-label": "Next version",
        disabled: at === ids.length - 1,
      },
      "›",
    ),
  );
}

/**
 * Gives the rendered messages their stored ids and their ‹ n/m › (from the conversation's active
 * branch): each question, and each reply by its first message (the one regenerations are siblings of).
 */
export function annotate(nodes, messages) {
  const turns = [];
  for (const m of messages) {
    if (m.role === "user") turns.push({ user: m, reply: null });
    else if (m.role === "assistant" && turns.length && !turns.at(-1).reply) turns.at(-1).reply = m;
  }
  const users = nodes.filter((n) => n.classList.contains("user"));
  const replies = nodes.filter((n) => n.classList.contains("assistant"));
  // A reply view follows its question; a question without a reply yet has none.
  let r = 0;
  users.forEach((node, i) => {
    const turn = turns[i];
    if (!turn) return;
    mark(node, turn.user);
    const reply = replies[r];
    if (reply && turn.reply && node.compareDocumentPosition(reply) & Node.DOCUMENT_POSITION_FOLLOWING) {
      const next = users[i + 1];
      if (!next || reply.compareDocumentPosition(next) & Node.DOCUMENT_POSITION_FOLLOWING) {
        mark(reply, turn.reply);
        r++;
      }
    }
  });
}

function mark(node, message) {
  node.dataset.id = message.id;
  node.querySelector(":scope > .msg-actions .branches")?.remove();
  if (message.siblings?.length > 1)
    node.querySelector(":scope > .msg-actions")?.prepend(branchNav(message.siblings, message.id));
}

/** Pretty JSON when the text is JSON, the text itself otherwise. */
function pretty(value) {
  if (typeof value !== "string") return JSON.stringify(value ?? null, null, 2);
  try {
    return JSON.stringify(JSON.parse(value), null, 2);
  } catch {
    return value;
  }
}

const NOTES = {
  aborted: "Stopped. The answer so far is kept.",
  error: "This reply failed before it was finished.",
  interrupted: "The server restarted while writing this reply; what was written is kept.",
  streaming: "Still being written…",
};

export class AssistantView {
  constructor() {
    this.node = el("article", { class: "msg assistant", "aria-label": "Assistant", "data-state": "streaming" });
    this.parts = el("div", { class: "parts" });
    this.node.append(this.parts);
    /** The text part being written: its Markdown source and its element. */
    this.text = null;
    this.cards = new Map();
    this.frame = 0;
    this.ended = false;
  }

  appendText(chunk) {
    if (!chunk) return;
    if (!this.text) {
      this.text = { source: "", node: el("div", { class: "markdown" }) };
      this.parts.append(this.text.node);
    }
    this.text.source += chunk;
    // Re-rendering the whole part on every token is wasteful; once per frame is enough to look live.
    this.frame ||= requestAnimationFrame(() => {
      this.frame = 0;
      this.render();
    });
  }

  render() {
    if (!this.text) return;
    this.text.node.innerHTML = renderMarkdown(this.text.source);
    this.text.node.dataset.source = this.text.source;
  }

  /** Text after a tool card is a new part, so a reply reads in the order it was written. */
  closeText() {
    this.render();
    this.text = null;
  }

  toolCall(callId, name, args) {
    this.closeText();
    const state = el("span", { class: "tool-state" }, "running…");
    const card = el(
      "section",
      { class: "tool-card", "data-state": "running", "data-call-id": callId, "aria-label": `Tool call: ${name}` },
      el(
        "header",
        {},
        el("span", { class: "tool-icon", "aria-hidden": "true" }, "⚙"),
        el("span", { class: "tool-name" }, name),
        state,
      ),
      el("pre", { class: "tool-args", "aria-label": "Arguments" }, el("code", {}, pretty(args))),
    );
    this.parts.append(card);
    this.cards.set(callId, { card, state, progress: null });
  }

  toolProgress(callId, line) {
    const entry = this.cards.get(callId);
    if (!entry || !line) return;
    if (!entry.progress) {
      entry.progress = el("ol", { class: "tool-progress", "aria-label": "Progress" });
      entry.card.querySelector(".tool-args").after(entry.progress);
    }
    entry.progress.append(el("li", {}, line));
  }

  /**
   * A form the tool's server asks the user to fill in, inside the tool's card. `answer(body)`
   * sends `{action, content?}`; fields left empty are left out, so the server's defaults apply.
   */
  elicitation(callId, { id, message, schema }, answer) {
    const entry = this.cards.get(callId);
    if (entry?.card.dataset.state !== "running") return;
    const properties = Object.entries(schema?.properties ?? {});
    const required = new Set(schema?.required ?? []);
    const form = el(
      "form",
      {
        class: "elicitation",
        "data-elicitation-id": id,
        "aria-label": `${entry.card.querySelector(".tool-name").textContent} asks`,
      },
      el("p", { class: "elicitation-message" }, message),
      ...properties.map(([key, prop]) => field(key, prop, required.has(key))),
      el(
        "div",
        { class: "row" },
        el("button", { type: "submit", class: "primary" }, "Send"),
        el("button", { type: "button", class: "decline" }, "Decline"),
      ),
    );
    const send = async (body) => {
      for (const control of form.elements) control.disabled = true;
      try {
        await answer(body);
        form.replaceChildren(
          el("p", { class: "elicitation-message" }, body.action === "accept" ? "Sent." : "Declined."),
        );
      } catch (err) {
        for (const control of form.elements) control.disabled = false;
        form.append(el("p", { class: "detail", role: "alert" }, err?.message ?? "not sent"));
      }
    };
    form.addEventListener("submit", (e) => {
      e.preventDefault();
      send({ action: "accept", content: formContent(form, properties) });
    });
    form.querySelector("button.decline").addEventListener("click", () => send({ action: "decline" }));
    entry.card.append(form);
    form.querySelector("input, select")?.focus();
  }

  toolResult(callId, name, result, isError) {
    let entry = this.cards.get(callId);
    if (!entry) {
      // A result whose call we never saw (a history trimmed by the server): still show it.
      this.toolCall(callId, name ?? "tool", "");
      entry = this.cards.get(callId);
    }
    entry.card.dataset.state = isError ? "error" : "done";
    entry.state.textContent = isError ? "failed" : "done";
    // A question still on screen can no longer be answered.
    for (const form of entry.card.querySelectorAll("form.elicitation")) form.remove();
    // Failures open by default: that is what the reader needs to see.
    entry.card.append(
      el(
        "details",
        { class: "tool-result", open: Boolean(isError) },
        el("summary", {}, isError ? "Error" : "Result"),
        el("pre", {}, el("code", {}, pretty(result))),
      ),
    );
  }

  /** The turn ended; `status` is the stored message's (`complete`, `aborted`, …). */
  finish(status) {
    if (!this.ended) this.node.append(this.actions(status));
    this.render();
    if (this.frame) cancelAnimationFrame(this.frame);
    this.frame = 0;
    this.ended = true;
    this.node.dataset.state = status;
    for (const { card, state } of this.cards.values()) {
      if (card.dataset.state === "running") {
        card.dataset.state = "stopped";
        state.textContent = "no result";
      }
    }
    if (NOTES[status]) this.note(NOTES[status]);
    if (!this.parts.childElementCount && status === "complete")
      this.parts.append(el("p", { class: "empty-reply" }, "(empty reply)"));
  }

  /** The turn failed: what was written stays, and the reason is said under it. */
  fail({ message, detail }) {
    this.finish("error");
    this.node.querySelector(".note")?.remove();
    this.node
      .querySelector(":scope > .msg-actions")
      .before(
        el(
          "div",
          { class: "error", role: "alert" },
          el("strong", {}, message),
          detail ? el("span", { class: "detail" }, detail) : null,
        ),
      );
  }

  /** Copy and Regenerate under an ended reply; Retry instead when it failed. */
  actions(status) {
    const failed = status === "error" || status === "interrupted";
    const written = this.parts.querySelector(".markdown") !== null;
    return el(
      "div",
      { class: "msg-actions" },
      written
        ? el("button", {
            type: "button",
            class: "copy-message",
            "data-action": "copy",
            "aria-label": "Copy this reply",
          })
        : null,
      failed
        ? el("button", { type: "button", class: "retry", "data-action": "regenerate" }, "Retry")
        : el(
            "button",
            { type: "button", class: "regenerate", "data-action": "regenerate", "aria-label": "Regenerate this reply" },
            "Regenerate",
          ),
    );
  }

  note(text) {
    this.node.querySelector(":scope > .msg-actions").before(el("p", { class: "note" }, text));
  }
}

const INPUT_TYPES = { email: "email", uri: "url", date: "date", "date-time": "datetime-local" };

/** The choices of an enum field: `enum` (with legacy `enumNames`), or `oneOf`/`anyOf` of `const`s. */
function choices(prop) {
  if (Array.isArray(prop.enum)) return prop.enum.map((v, i) => [v, prop.enumNames?.[i] ?? v]);
  const list = prop.oneOf ?? prop.anyOf;
  return Array.isArray(list) ? list.map((c) => [c.const, c.title ?? c.const]) : null;
}

/** One labelled control for a form field (a flat JSON Schema property). */
function field(key, prop, required) {
  const label = prop.title ?? key;
  const attrs = { name: key, required, "aria-label": label };
  let control;
  if (prop.type === "boolean") {
    control = el("input", { ...attrs, type: "checkbox", checked: prop.default === true, required: null });
  } else if (prop.type === "array") {
    const options = choices(prop.items ?? {}) ?? [];
    control = el(
      "select",
      { ...attrs, multiple: true },
      ...options.map(([value, text]) =>
        el("option", { value, selected: (prop.default ?? []).includes(value) }, String(text)),
      ),
    );
  } else if (choices(prop)) {
    control = el(
      "select",
      attrs,
      required ? null : el("option", { value: "" }, "—"),
      ...choices(prop).map(([value, text]) => el("option", { value, selected: prop.default === value }, String(text))),
    );
  } else {
    const numeric = prop.type === "number" || prop.type === "integer";
    control = el("input", {
      ...attrs,
      type: numeric ? "number" : (INPUT_TYPES[prop.format] ?? "text"),
      step: prop.type === "number" ? "any" : null,
      min: prop.minimum,
      max: prop.maximum,
      placeholder: prop.default !== undefined ? String(prop.default) : null,
    });
  }
  return el(
    "label",
    { class: "field" },
    el("span", {}, label, required ? " *" : ""),
    control,
    prop.description ? el("small", {}, prop.description) : null,
  );
}

/** What the user filled in, typed as the schema says; empty fields are left out (their defaults apply). */
function formContent(form, properties) {
  const content = {};
  for (const [key, prop] of properties) {
    const control = form.elements.namedItem(key);
    if (!control) continue;
    if (prop.type === "boolean") content[key] = control.checked;
    else if (prop.type === "array") {
      const picked = [...control.selectedOptions].map((o) => o.value);
      if (picked.length) content[key] = picked;
    } else if (control.value !== "") {
      content[key] = prop.type === "number" || prop.type === "integer" ? Number(control.value) : control.value;
    }
  }
  return content;
}

/**
 * Views of stored messages: each user message, then one assistant view per turn holding its
 * texts, tool calls and tool results (stored as separate messages, OpenAI's shape).
 */
export function renderHistory(messages, loadFile = () => Promise.reject(new Error("no loader"))) {
  const nodes = [];
  let view = null;
  let status = "complete";
  const end = () => view?.finish(status);
  for (const m of messages) {
    if (m.role === "system") continue;
    if (m.role === "user") {
      end();
      view = null;
      nodes.push(userMessage(m.content));
      if (m.attachments?.length) showAttachments(nodes.at(-1), m.attachments, loadFile);
      continue;
    }
    if (!view) {
      view = new AssistantView();
      status = "complete";
      nodes.push(view.node);
    }
    if (m.role === "assistant") {
      view.appendText(m.content);
      for (const call of m.tool_calls ?? [])
        view.toolCall(call.id, call.function?.name ?? "tool", call.function?.arguments ?? "");
      status = m.status ?? "complete";
    } else if (m.role === "tool") {
      view.toolResult(m.tool_call_id, m.name, m.content, false);
    }
  }
  end();
  annotate(nodes, messages);
  return nodes;
}
