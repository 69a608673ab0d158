/**
 * The chat page: a conversation list, the open conversation, the composer. State lives on the
 * server; the page keeps only which conversation is open (in the URL hash, so a reload comes
 * back to it) and the stream it is reading.
 */
import { api, apiKey, explain, needsKey, saveApiKey, setAuthRequired } from "./api.js";
import { showApproval } from "./approval-card.js";
import { Composer } from "./composer.js";
import { AssistantView, annotate, el, renderHistory, userMessage } from "./messages.js";
import { ServersPanel } from "./servers.js";
import { readSse } from "./sse.js";

const $ = (id) => document.getElementById(id);
const ui = {
  app: $("app"),
  sidebar: $("sidebar"),
  menu: $("menu"),
  list: $("conversations"),
  newChat: $("new-chat"),
  title: $("title"),
  banner: $("banner"),
  messages: $("messages"),
  form: $("composer"),
  input: $("input"),
  send: $("send"),
  stop: $("stop"),
  keyForm: $("key-form"),
  keyInput: $("api-key"),
  servers: $("servers"),
  search: $("search"),
  rename: $("rename"),
  renameForm: $("rename-form"),
  renameInput: $("rename-input"),
  model: $("model"),
  promptToggle: $("prompt-toggle"),
  promptForm: $("prompt-form"),
  promptInput: $("prompt-input"),
  promptStatus: $("prompt-status"),
};

const MODEL_STORAGE = "edge-chat.model";

const state = {
  authOn: false,
  conversations: [],
  /** The open conversation's id; null for a new chat that has not been sent yet. */
  current: null,
  /** The stream this tab is reading: `{id, view, controller, stopping}`. */
  turn: null,
  /** Bumped on every navigation, so a slow answer for a conversation already left is ignored. */
  navigation: 0,
  listRefresh: 0,
  titleTimers: [],
  /** The animation frame a scroll to the newest text waits for, if one does. */
  scrollFrame: 0,
  /** Whether new text scrolls into view: the reader has not scrolled up from the bottom. */
  following: true,
  lastScrollTop: 0,
};

// ---------------------------------------------------------------------------
// Conversations
// ---------------------------------------------------------------------------

async function refreshList() {
  if (state.authOn && !apiKey()) return;
  // Refreshes overlap (a turn's start, its end, the title timers): only the latest one counts.
  const refresh = ++state.listRefresh;
  let conversations;
  try {
    conversations = await api.conversations();
  } catch (err) {
    if (refresh !== state.listRefresh) return;
    if (needsKey(err)) askForKey(err);
    else showBanner(err);
    return;
  }
  if (refresh !== state.listRefresh) return;
  state.conversations = conversations;
  renderList();
}

function renderList() {
  const query = ui.search.value.trim().toLowerCase();
  const shown = query
    ? state.conversations.filter((c) => (c.title || "Untitled").toLowerCase().includes(query))
    : state.conversations;
  const items = shown.map((c) => {
    const title = c.title || "Untitled";
    return el(
      "li",
      {},
      el(
        "button",
        {
          type: "button",
          class: "open",
          "data-id": c.session_id,
          "aria-current": c.session_id === state.current ? "page" : null,
        },
        el("span", { class: "conv-title" }, title),
        el("time", { datetime: c.updated_at }, when(c.updated_at)),
      ),
      el(
        "button",
        {
          type: "button",
          class: "delete",
          "data-id": c.session_id,
          "aria-label": `Delete “${title}”`,
          title: "Delete",
        },
        "✕",
      ),
    );
  });
  const none = query ? `No conversation is titled like “${ui.search.value.trim()}”.` : "No conversations yet.";
  ui.list.replaceChildren(...(items.length ? items : [el("li", { class: "none" }, none)]));
  const current = state.conversations.find((c) => c.session_id === state.current);
  if (current) setTitle(current.title);
}

/** Today: the time; before: the date. */
function when(iso) {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return "";
  const today = date.toDateString() === new Date().toDateString();
  return today ? date.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" }) : date.toLocaleDateString();
}

/** The server titles a conversation after its first exchange, a moment after the turn ends. */
function refreshTitlesSoon() {
  for (const t of state.titleTimers) clearTimeout(t);
  refreshList();
  state.titleTimers = [1500, 5000].map((ms) => setTimeout(refreshList, ms));
}

async function openConversation(id) {
  detachTurn();
  const navigation = ++state.navigation;
  state.current = id;
  setHash(id);
  renderList();
  closeSidebar();
  hideBanner();
  ui.messages.replaceChildren(el("p", { class: "loading" }, "Loading…"));
  let conversation;
  try {
    conversation = await api.conversation(id);
  } catch (err) {
    if (navigation !== state.navigation) return;
    showEmpty();
    if (needsKey(err)) askForKey(err);
    else showBanner(err);
    return;
  }
  if (navigation !== state.navigation) return;
  setTitle(conversation.title);
  ui.promptInput.value = conversation.system_prompt ?? "";
  showConversation(id, conversation.messages, { follow: true });
}

/** An attached file of conversation `id`, as a URL an <img> shows. */
const fileLoader = (id) => (fileId) => api.fileUrl(id, fileId);

/**
 * Renders stored messages. A turn still running (its reply `streaming`, or a question with no
 * reply yet) is shown up to its question and then followed live: the server replays it from
 * its start, so nothing is lost and nothing is shown twice.
 */
function showConversation(id, messages, { follow }) {
  const last = messages.at(-1);
  // A turn waiting for an approval is shown from its log, which holds what to approve.
  const paused = follow && last?.status === "awaiting_approval";
  const question = messages.findLastIndex((m) => m.role === "user");
  // Running: a question with no reply yet, or a reply (any of the turn's messages) still being written.
  const running =
    paused ||
    (follow && last && (last.role === "user" || messages.slice(question + 1).some((m) => m.status === "streaming")));
  ui.messages.replaceChildren(...renderHistory(running ? messages.slice(0, question + 1) : messages, fileLoader(id)));
  if (!messages.length) showEmpty();
  scrollToEnd(true);
  if (!running) return;
  const view = addView();
  runTurn(id, view, (signal) => api.resume(id, signal, paused ? 0 : undefined)).then((outcome) => {
    // 204: the turn ended between the two requests; show what it stored.
    if (outcome === "idle" && state.current === id) {
      api
        .conversation(id)
        .then((c) => state.current === id && showConversation(id, c.messages, { follow: false }), showBanner);
    }
  });
}

function newChat() {
  detachTurn();
  state.navigation++;
  state.current = null;
  setHash("");
  setTitle("");
  ui.promptInput.value = "";
  renderList();
  closeSidebar();
  showEmpty();
  ui.input.focus();
}

async function removeConversation(id) {
  const title = state.conversations.find((c) => c.session_id === id)?.title || "this conversation";
  if (!confirm(`Delete “${title}”? This cannot be undone.`)) return;
  try {
    await api.deleteConversation(id);
  } catch (err) {
    if (err.status !== 404) return showBanner(err);
  }
  if (state.current === id) newChat();
  await refreshList();
}

// ---------------------------------------------------------------------------
// Turns
// ---------------------------------------------------------------------------

async function send() {
  const content = ui.input.value;
  if (!content.trim() || state.turn) return;
  if (state.authOn && !apiKey()) return askForKey();
  if (!state.current) {
    state.current = newSessionId();
    setHash(state.current);
  }
  const id = state.current;
  const files = composer.take();
  ui.input.value = "";
  hideBanner();
  ui.messages.querySelector(".empty-state")?.remove();
  ui.messages.append(
    userMessage(
      content,
      files.map((f) => ({ name: f.name, type: f.type, url: f.url })),
    ),
  );
  const attachments = files.map(({ name, type, data }) => ({ name, type, data }));
  const outcome = await runTurn(id, addView(), (signal) => api.stream(id, content, signal, turnExtra(attachments)));
  // Refused before anything started (a bad key, a busy session, a file too large): keep what was typed.
  if (outcome === "refused") {
    if (!ui.input.value) ui.input.value = content;
    composer.restore(files);
  }
}

/** The model picked (when it is not the server's default) and the files, for a turn request. */
function turnExtra(attachments = []) {
  return { attachments, model: ui.model.value || undefined };
}

/** Answers a question again (the reply `messageId`'s, or the last one): the new reply is a sibling. */
async function regenerate(replyNode) {
  const id = state.current;
  if (!id || state.turn) return;
  const messageId = replyNode?.dataset.id;
  hideBanner();
  // What followed the reply belongs to the old branch: it goes from view with it.
  if (replyNode) removeFrom(replyNode);
  await runTurn(id, addView(), (signal) => api.regenerate(id, messageId, signal, turnExtra()));
}

/** Removes `node` and every message after it. */
function removeFrom(node) {
  while (node.nextElementSibling) node.nextElementSibling.remove();
  node.remove();
}

/** Edit: the question becomes a form; saving sends the new words as a sibling question. */
function editQuestion(node) {
  if (state.turn || !node.dataset.id || node.querySelector("form.edit-form")) return;
  const bubble = node.querySelector(".bubble");
  const input = el("textarea", { class: "edit-input", "aria-label": "Edit your message", rows: 3 });
  input.value = bubble.textContent;
  const form = el(
    "form",
    { class: "edit-form" },
    input,
    el(
      "div",
      { class: "row" },
      el("button", { type: "submit", class: "primary" }, "Save and send"),
      el("button", { type: "button", class: "cancel" }, "Cancel"),
    ),
  );
  bubble.hidden = true;
  bubble.after(form);
  input.focus();
  const cancel = () => {
    form.remove();
    bubble.hidden = false;
    node.querySelector("[data-action=edit]")?.focus();
  };
  form.querySelector(".cancel").addEventListener("click", cancel);
  form.addEventListener("keydown", (e) => {
    if (e.key === "Escape") {
      e.stopPropagation();
      cancel();
    }
  });
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    const content = input.value;
    if (!content.trim()) return;
    const id = state.current;
    const messageId = node.dataset.id;
    const question = userMessage(content);
    node.before(question);
    removeFrom(node);
    hideBanner();
    await runTurn(id, addView(), (signal) => api.edit(id, messageId, content, signal, turnExtra()));
  });
}

/** ‹ › on a message with siblings: that branch becomes the conversation's active one. */
async function showBranch(messageId) {
  const id = state.current;
  if (!id || state.turn || !messageId) return;
  try {
    const conversation = await api.updateConversation(id, { active_message_id: messageId });
    if (state.current !== id) return;
    const keepScroll = ui.messages.scrollTop;
    showConversation(id, conversation.messages, { follow: false });
    ui.messages.scrollTop = keepScroll;
    ui.messages.querySelector(`[data-id="${CSS.escape(messageId)}"] .branches button:not([disabled])`)?.focus();
  } catch (err) {
    showBanner(err);
  }
}

/** After a turn: the stored ids and ‹ n/m › of what is on screen. */
async function annotateSoon(id) {
  try {
    const conversation = await api.conversation(id);
    if (state.current !== id || state.turn) return;
    annotate([...ui.messages.querySelectorAll(":scope > .msg")], conversation.messages);
  } catch {
    // Only the buttons wait for this; the next load shows them.
  }
}

async function copyText(button, text) {
  try {
    await navigator.clipboard.writeText(text);
    button.classList.add("copied");
    setTimeout(() => button.classList.remove("copied"), 1500);
  } catch (err) {
    showBanner({ message: `could not copy: ${err?.message ?? err}` });
  }
}

/**
 * Reads one turn's stream into `view`. Resolves "done", "refused" (failed before the stream
 * started), "failed", "idle" (nothing to follow) or "detached" (the user went elsewhere).
 */
async function runTurn(id, view, open) {
  const turn = { id, view, controller: new AbortController(), stopping: false };
  state.turn = turn;
  setBusy(true);
  let started = false;
  try {
    const res = await open(turn.controller.signal);
    if (!res) {
      view.node.remove();
      return "idle";
    }
    started = true;
    refreshList(); // a new conversation is listed from its first question on
    for await (const frame of readSse(res.body)) {
      handleFrame(view, frame, id);
      scrollSoon();
    }
    // A stream that ends without its last frame lost its connection; the turn itself goes on.
    if (!view.ended)
      view.fail({
        message: "The connection was lost before the reply ended.",
        detail: "Reload the page to follow it to the end.",
      });
    return "done";
  } catch (err) {
    if (turn.controller.signal.aborted) return "detached";
    view.fail(explain(err));
    if (needsKey(err)) askForKey(err);
    return started ? "failed" : "refused";
  } finally {
    if (state.turn === turn) {
      state.turn = null;
      setBusy(false);
    }
    if (started) {
      annotateSoon(id);
      refreshTitlesSoon();
      // A turn may have found a server wanting an authorization (or an expired one).
      panel.refresh();
    }
  }
}

function handleFrame(view, frame, sessionId) {
  let event;
  try {
    event = JSON.parse(frame.data);
  } catch {
    return; // not ours; the stream goes on
  }
  const d = event.data ?? {};
  switch (event.type) {
    case "chunk":
      return view.appendText(d.content);
    case "tool_call":
      // A turn going on after an approval names its calls again: the card is there already.
      if (view.cards.has(d.tool_call_id)) return;
      return view.toolCall(d.tool_call_id, d.tool_name, d.arguments);
    case "tool_approval_request":
      return showApproval(
        view,
        { callId: d.tool_call_id, toolName: d.tool_name },
        (approved) => api.answerApproval(sessionId, d.approval_id, approved),
        () => followApproved(sessionId, view),
      );
    case "tool_stream_chunk":
      return view.toolProgress(d.tool_call_id, d.content);
    case "tool_elicitation":
      return view.elicitation(
        d.tool_call_id,
        { id: d.elicitation_id, message: d.message, schema: d.requested_schema },
        (answer) => api.answerElicitation(sessionId, d.elicitation_id, answer),
      );
    case "tool_result":
      return view.toolResult(d.tool_call_id, d.tool_name, d.result, d.is_error);
    case "complete":
      return view.finish(d.message?.status ?? "complete");
    case "error":
      return view.fail(explain({ code: d.code, message: d.error }));
  }
}

/** The rest of a turn that went on after an approval, into the same reply; what it stored if it is over. */
async function followApproved(id, view) {
  view.ended = false;
  const outcome = await runTurn(id, view, (signal) => api.resume(id, signal));
  if (outcome === "idle" && state.current === id) {
    const { messages } = await api.conversation(id);
    if (state.current === id) showConversation(id, messages, { follow: false });
  }
}

/** Stop: the server stores the partial reply as `aborted` and ends the stream with it. */
async function stop() {
  const turn = state.turn;
  if (!turn || turn.stopping) return;
  turn.stopping = true;
  ui.stop.disabled = true;
  ui.stop.textContent = "Stopping…";
  try {
    await api.abort(turn.id);
  } catch (err) {
    showBanner(err);
    turn.stopping = false;
    ui.stop.disabled = false;
    ui.stop.textContent = "Stop";
  }
}

/** Stops reading (not the turn: it goes on server-side, and reopening the conversation follows it). */
function detachTurn() {
  if (!state.turn) return;
  state.turn.controller.abort();
  state.turn = null;
  setBusy(false);
}

function addView() {
  const view = new AssistantView();
  ui.messages.append(view.node);
  scrollToEnd(true);
  return view;
}

/** Session ids are ours to choose (1–128 of A-Z a-z 0-9 _ -); random, so they cannot collide. */
function newSessionId() {
  const bytes = crypto.getRandomValues(new Uint8Array(12));
  return `c-${Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("")}`;
}

// ---------------------------------------------------------------------------
// Page chrome
// ---------------------------------------------------------------------------

const panel = new ServersPanel(ui.servers, (err) => showBanner(err));
const composer = new Composer({
  list: $("pending"),
  picker: $("file-input"),
  input: ui.input,
  onError: (err) => showBanner(err),
});

/** The models GET /v1/models lists; the picker shows only when there is a choice. */
async function loadModels() {
  let models;
  try {
    models = await api.models();
  } catch {
    return;
  }
  if (models.length < 2) return;
  const saved = localStorageGet(MODEL_STORAGE);
  ui.model.replaceChildren(...models.map((m) => el("option", { value: m, selected: m === saved }, m)));
  ui.model.hidden = false;
}

function localStorageGet(key) {
  try {
    return localStorage.getItem(key);
  } catch {
    return null;
  }
}

function startRename() {
  if (!state.current) return;
  ui.renameInput.value = ui.title.textContent;
  ui.title.hidden = true;
  ui.rename.hidden = true;
  ui.renameForm.hidden = false;
  ui.renameInput.select();
  ui.renameInput.focus();
}

function endRename() {
  ui.renameForm.hidden = true;
  ui.title.hidden = false;
  ui.rename.hidden = !state.current;
  ui.rename.focus();
}

async function saveRename() {
  const title = ui.renameInput.value.trim();
  const id = state.current;
  if (!title || !id) return endRename();
  try {
    const conversation = await api.updateConversation(id, { title });
    setTitle(conversation.title);
    endRename();
    await refreshList();
  } catch (err) {
    showBanner(err);
  }
}

/** Saves the open conversation's own system prompt (creating the conversation if it is new). */
async function savePrompt() {
  if (state.authOn && !apiKey()) return askForKey();
  if (!state.current) {
    state.current = newSessionId();
    setHash(state.current);
  }
  const id = state.current;
  ui.promptStatus.textContent = "Saving…";
  try {
    await api.createConversation(id);
    const conversation = await api.updateConversation(id, { system_prompt: ui.promptInput.value });
    ui.promptStatus.textContent = conversation.system_prompt
      ? "Saved: this conversation uses it."
      : "Saved: the server's prompt is used.";
    await refreshList();
  } catch (err) {
    ui.promptStatus.textContent = "";
    showBanner(err);
  }
}

function setBusy(busy) {
  ui.send.disabled = busy;
  ui.stop.hidden = !busy;
  ui.stop.disabled = false;
  ui.stop.textContent = "Stop";
  ui.messages.setAttribute("aria-busy", String(busy));
}

/** A reply's Markdown source, as its parts keep it. */
function sourceOf(msg) {
  return [...msg.querySelectorAll(".markdown")].map((n) => n.dataset.source ?? n.textContent).join("\n\n");
}

function setTitle(title) {
  ui.rename.hidden = !state.current || !ui.renameForm.hidden;
  ui.title.textContent = title || "New chat";
  document.title = `${title || "New chat"} · edge-chat`;
}

function showEmpty() {
  ui.messages.replaceChildren(
    el(
      "div",
      { class: "empty-state" },
      el("h2", {}, "Ask anything"),
      el(
        "p",
        {},
        "Replies stream in as they are written. Enter sends, Shift+Enter starts a new line, Escape stops a reply.",
      ),
    ),
  );
}

function showBanner(err) {
  const { message, detail } = explain(err);
  ui.banner.querySelector(".message").textContent = message;
  ui.banner.querySelector(".detail").textContent = detail;
  ui.banner.hidden = false;
}

function hideBanner() {
  ui.banner.hidden = true;
}

function askForKey(err) {
  ui.keyForm.hidden = false;
  ui.keyInput.setAttribute("aria-invalid", "true");
  showBanner(err ?? { code: "missing_api_key" });
  openSidebar();
  ui.keyInput.focus();
}

/**
 * `scrollToEnd` once per animation frame, after that frame's render: reading the layout for
 * every SSE frame would force one each time.
 */
function scrollSoon() {
  state.scrollFrame ||= requestAnimationFrame(() => {
    state.scrollFrame = 0;
    scrollToEnd();
  });
}

/**
 * Follows the newest text while the reader is at the bottom. Whether they are is decided by their
 * own scrolling (`trackReader`), not measured after new content went in: a tool card taller than
 * any margin would otherwise look like the reader had scrolled away.
 */
function scrollToEnd(force = false) {
  const box = ui.messages;
  if (force) state.following = true;
  if (state.following) box.scrollTop = box.scrollHeight;
  state.lastScrollTop = box.scrollTop;
}

/** On every scroll: back near the bottom follows again; moving up stops following. */
function trackReader() {
  const box = ui.messages;
  if (box.scrollHeight - box.scrollTop - box.clientHeight < 120) state.following = true;
  else if (box.scrollTop < state.lastScrollTop) state.following = false;
  state.lastScrollTop = box.scrollTop;
}

function setHash(id) {
  const hash = id ? `#${encodeURIComponent(id)}` : "";
  if (location.hash !== hash) history.replaceState(null, "", hash || location.pathname);
}

function idFromHash() {
  return decodeURIComponent(location.hash.slice(1)) || null;
}

/** On a phone the list is a drawer; on a wide window these only flip a class nothing uses. */
function openSidebar() {
  ui.app.classList.add("sidebar-open");
  ui.menu.setAttribute("aria-expanded", "true");
}

function closeSidebar({ refocus = false } = {}) {
  if (!ui.app.classList.contains("sidebar-open")) return;
  ui.app.classList.remove("sidebar-open");
  ui.menu.setAttribute("aria-expanded", "false");
  if (refocus) ui.menu.focus();
}

// ---------------------------------------------------------------------------
// Start
// ---------------------------------------------------------------------------

function bindEvents() {
  ui.form.addEventListener("submit", (e) => {
    e.preventDefault();
    send();
  });
  ui.input.addEventListener("keydown", (e) => {
    // Enter sends; Shift+Enter is a newline; an IME composing text keeps its Enter.
    if (e.key === "Enter" && !e.shiftKey && !e.isComposing) {
      e.preventDefault();
      send();
    } else if (e.key === "Escape" && state.turn) {
      stop();
    }
  });
  ui.stop.addEventListener("click", stop);
  ui.messages.addEventListener("scroll", trackReader, { passive: true });
  ui.messages.addEventListener("click", (e) => {
    const button = e.target.closest("button");
    if (!button || !ui.messages.contains(button)) return;
    const msg = button.closest(".msg");
    if (button.classList.contains("copy-code"))
      return copyText(button, button.parentElement.querySelector("code").textContent);
    switch (button.dataset.action) {
      case "copy":
        return copyText(button, msg.querySelector(".bubble")?.textContent ?? sourceOf(msg));
      case "regenerate":
        return regenerate(msg);
      case "edit":
        return editQuestion(msg);
      case "branch":
        return showBranch(button.dataset.target);
    }
  });
  ui.search.addEventListener("input", renderList);
  ui.rename.addEventListener("click", startRename);
  ui.renameForm.addEventListener("submit", (e) => {
    e.preventDefault();
    saveRename();
  });
  $("rename-cancel").addEventListener("click", endRename);
  ui.renameInput.addEventListener("keydown", (e) => {
    if (e.key === "Escape") {
      e.stopPropagation();
      endRename();
    }
  });
  ui.model.addEventListener("change", () => {
    try {
      localStorage.setItem(MODEL_STORAGE, ui.model.value);
    } catch {
      // Kept for this page only.
    }
  });
  ui.promptToggle.addEventListener("click", () => {
    const open = ui.promptForm.hidden;
    ui.promptForm.hidden = !open;
    ui.promptToggle.setAttribute("aria-expanded", String(open));
    ui.promptStatus.textContent = "";
    if (open) ui.promptInput.focus();
  });
  ui.promptForm.addEventListener("submit", (e) => {
    e.preventDefault();
    savePrompt();
  });
  composer.bind($("attach"), document.querySelector("main"));
  ui.newChat.addEventListener("click", newChat);
  ui.list.addEventListener("click", (e) => {
    const button = e.target.closest("button[data-id]");
    if (!button) return;
    if (button.classList.contains("delete")) removeConversation(button.dataset.id);
    else openConversation(button.dataset.id);
  });
  ui.menu.addEventListener("click", () => {
    if (ui.app.classList.contains("sidebar-open")) return closeSidebar();
    openSidebar();
    ui.newChat.focus();
  });
  document.addEventListener("keydown", (e) => {
    if (e.key === "Escape") closeSidebar({ refocus: true });
  });
  // A tap beside the open drawer closes it, as on any phone.
  ui.app.addEventListener("click", (e) => {
    if (!ui.sidebar.contains(e.target) && !ui.menu.contains(e.target)) closeSidebar();
  });
  ui.banner.querySelector(".close").addEventListener("click", hideBanner);
  ui.keyForm.addEventListener("submit", async (e) => {
    e.preventDefault();
    saveApiKey(ui.keyInput.value.trim());
    ui.keyInput.removeAttribute("aria-invalid");
    hideBanner();
    closeSidebar();
    panel.refresh();
    loadModels();
    await refreshList();
    if (state.current) openConversation(state.current);
    else ui.input.focus();
  });
  window.addEventListener("hashchange", () => {
    const id = idFromHash();
    if (id && id !== state.current) openConversation(id);
  });
}

async function start() {
  bindEvents();
  ui.keyInput.value = apiKey();
  const id = idFromHash();
  // Usable at once: what the user does while the first answers load is not overwritten by them.
  state.current = id;
  setTitle("");
  if (id) ui.messages.replaceChildren(el("p", { class: "loading" }, "Loading…"));
  else showEmpty();
  ui.input.focus();
  try {
    const health = await api.health();
    state.authOn = health.auth === "on";
  } catch (err) {
    showBanner(err);
  }
  setAuthRequired(state.authOn);
  ui.keyForm.hidden = !state.authOn;
  if (state.authOn && !apiKey()) return askForKey();
  panel.refresh();
  loadModels();
  await refreshList();
  if (id && state.current === id && !state.turn) await openConversation(id);
}

start();
