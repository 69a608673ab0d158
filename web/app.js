/**
 * The chat page: a conversation list, the open conversation, the composer. State lives on the
 * server; the page keeps only which conversation is open (in the URL hash, so a reload comes
 * back to it) and the stream it is reading.
 */
import { api, apiKey, explain, needsKey, saveApiKey, setAuthRequired } from "./api.js";
import { showApproval } from "./approval-card.js";
import { AssistantView, el, renderHistory, userMessage } from "./messages.js";
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
};

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
  const items = state.conversations.map((c) => {
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
  ui.list.replaceChildren(...(items.length ? items : [el("li", { class: "none" }, "No conversations yet.")]));
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
  showConversation(id, conversation.messages, { follow: true });
}

/**
 * Renders stored messages. A turn still running (its reply `streaming`, or a question with no
 * reply yet) is shown up to its question and then followed live: the server replays it from
 * its start, so nothing is lost and nothing is shown twice.
 */
function showConversation(id, messages, { follow }) {
  const last = messages.at(-1);
  // A turn waiting for an approval is shown from its log, which holds what to approve.
  const paused = follow && last?.status === "awaiting_approval";
  const running = paused || (follow && last && (last.status === "streaming" || last.role === "user"));
  const question = messages.findLastIndex((m) => m.role === "user");
  ui.messages.replaceChildren(...renderHistory(running ? messages.slice(0, question + 1) : messages));
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
  ui.input.value = "";
  hideBanner();
  ui.messages.querySelector(".empty-state")?.remove();
  ui.messages.append(userMessage(content));
  const outcome = await runTurn(id, addView(), (signal) => api.stream(id, content, signal));
  // Refused before anything started (a bad key, a busy session): keep the text for a retry.
  if (outcome === "refused" && !ui.input.value) ui.input.value = content;
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

function setBusy(busy) {
  ui.send.disabled = busy;
  ui.stop.hidden = !busy;
  ui.stop.disabled = false;
  ui.stop.textContent = "Stop";
  ui.messages.setAttribute("aria-busy", String(busy));
}

function setTitle(title) {
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

/** Follows the newest text only while the reader is already at the bottom. */
function scrollToEnd(force = false) {
  const box = ui.messages;
  if (force || box.scrollHeight - box.scrollTop - box.clientHeight < 120) box.scrollTop = box.scrollHeight;
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
  await refreshList();
  if (id && state.current === id && !state.turn) await openConversation(id);
}

start();
