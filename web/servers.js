/**
 * The MCP servers panel: each server of this caller's turns and its state, and a Connect button
 * for one that wants an OAuth authorization. Connecting happens in a popup: the authorization
 * server's pages, then edge-chat's callback, which tells this page (same origin only) how it went.
 */
import { api } from "./api.js";
import { el } from "./messages.js";

const LABELS = {
  connected: "connected",
  needs_authorization: "needs connecting",
  error: "error",
  refused: "not available",
  "not-connected": "not connected",
};

/** What the callback page posts to its opener (src/http/oauth.ts). */
const OAUTH_MESSAGE = "edge-chat:mcp-oauth";

export class ServersPanel {
  /**
   * @param {HTMLElement} list where the servers are listed
   * @param {(err: unknown) => void} onError shows a failure to the user
   */
  constructor(list, onError) {
    this.list = list;
    this.onError = onError;
    /** The popup of the authorization in progress, and the server it is for. */
    this.pending = null;
    // The callback says how it went both ways: to its opener, and (when an authorization server's
    // Cross-Origin-Opener-Policy severed the opener) on a channel of this origin.
    window.addEventListener("message", (event) => {
      if (event.origin === location.origin) this.onOutcome(event.data);
    });
    if (typeof BroadcastChannel === "function")
      new BroadcastChannel("edge-chat-oauth").addEventListener("message", (event) => this.onOutcome(event.data));
  }

  async refresh() {
    let servers;
    try {
      servers = await api.servers();
    } catch {
      // The list is a convenience: a failure here must not hide the conversation.
      return;
    }
    this.render(servers);
  }

  render(servers) {
    const items = servers.map((s) =>
      el(
        "li",
        { class: "server", "data-name": s.name, "data-status": s.status },
        el("span", { class: "server-name" }, s.name),
        el("span", { class: "server-status", title: s.error ?? "" }, LABELS[s.status] ?? s.status),
        s.status === "needs_authorization"
          ? el("button", { type: "button", class: "connect", "aria-label": `Connect ${s.name}` }, "Connect")
          : null,
      ),
    );
    this.list.replaceChildren(...(items.length ? items : [el("li", { class: "none" }, "No tool servers.")]));
    for (const button of this.list.querySelectorAll("button.connect"))
      button.addEventListener("click", () => this.connect(button.closest("li").dataset.name));
    this.list.closest("section").hidden = items.length === 0;
  }

  /**
   * The popup opens at once, in the click itself (later, a browser may block it), and goes to the
   * authorization server as soon as edge-chat says where that is.
   */
  async connect(name) {
    const popup = window.open("", "edge-chat-oauth", "popup,width=520,height=680");
    if (!popup) return this.onError({ message: "Allow pop-ups for this page to connect a tool server." });
    this.pending = { name, popup };
    try {
      popup.location.href = await api.authorize(name);
    } catch (err) {
      popup.close();
      this.pending = null;
      this.onError(err);
    }
  }

  onOutcome(data) {
    if (data?.type !== OAUTH_MESSAGE || !this.pending) return;
    const { server, ok } = data;
    this.pending = null;
    if (!ok) this.onError({ message: `${server ?? "The server"} was not connected.`, detail: "" });
    this.refresh();
  }
}
