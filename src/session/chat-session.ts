/**
 * ChatSession: one Durable Object per owner+session. A thin coordinator: the store keeps the
 * history, ActiveTurn runs the one turn at a time, the directory hears about changes.
 */
import { DurableObject } from "cloudflare:workers";
import { sessionMigrations } from "../../migrations";
import { configFor } from "../config";
import type { ConversationSummary } from "../directory/directory";
import type { Dialect } from "../events/encode";
import type { StoredMessage, TurnEvent } from "../events/types";
import { createProvider, resolveModel, resolveUpstream, type ModelConfig } from "../llm/model-config";
import type { ChatMessage } from "../llm/provider";
import { applyMigrations } from "../storage/migrate";
import { ActiveTurn } from "./active-turn";
import { directoryStub } from "./address";
import { buildContext } from "./context";
import { SessionStore } from "./store";
import { Transcript } from "./transcript";
import { createToolbox } from "../tools/create";

export interface TurnInput {
  owner: string;
  sessionId: string;
  /** `persist`: a new user message joins the stored history. `direct`: the caller's messages, nothing stored. */
  mode: { kind: "persist"; content: string } | { kind: "direct"; messages: ChatMessage[] };
  modelConfig?: ModelConfig;
  dialect: Dialect;
}

export type TurnStart =
  | { ok: true; stream: ReadableStream<Uint8Array>; turnId: string; messageId: string }
  | { ok: false; status: 409; code: "turn_in_progress"; message: string };

export interface Conversation extends ConversationSummary {
  messages: StoredMessage[];
}

const TITLE_WORDS = 8;
const TITLE_CHARS = 80;
/** How long an abort waits for the turn to store its partial reply before answering. */
const ABORT_SETTLE_MS = 2000;

export class ChatSession extends DurableObject<Env> {
  private readonly store: SessionStore;
  private active: ActiveTurn | null = null;
  private seq = 1;
  private directorySync: Promise<void> = Promise.resolve();

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.store = new SessionStore(ctx.storage.sql);
    ctx.blockConcurrencyWhile(async () => {
      applyMigrations(ctx.storage, sessionMigrations);
      this.seq = this.store.meta()?.nextSeq ?? 1;
    });
  }

  async startTurn(input: TurnInput): Promise<TurnStart> {
    if (this.active && !this.active.ended) {
      return { ok: false, status: 409, code: "turn_in_progress", message: `a turn is already running in session ${input.sessionId}` };
    }
    const config = configFor(this.env);
    const request = {
      model: resolveModel(config, input.modelConfig?.model_name),
      temperature: input.modelConfig?.temperature,
      maxTokens: input.modelConfig?.max_tokens,
      messages: [] as ChatMessage[],
    };
    const messageId = crypto.randomUUID();
    const createdAt = new Date().toISOString();
    let recorder: Transcript | undefined;
    let onEvent: (event: TurnEvent) => void | Promise<void> = () => {};

    if (input.mode.kind === "persist") {
      this.recordUserMessage(input.owner, input.sessionId, input.mode.content, createdAt);
      this.store.insertMessage({ id: messageId, role: "assistant", content: "", created_at: createdAt, status: "streaming", usage: null, model: request.model });
      void this.syncDirectory();
      request.messages = buildContext(config.systemPrompt, this.store.historyNewestFirst(), config.contextTokenBudget, {
        toolResultMaxChars: config.toolResultMaxChars,
      });
      recorder = new Transcript(this.store, () => this.store.setMeta({ next_seq: this.seq }));
      onEvent = (event) => {
        if (event.type !== "turn-end") return;
        this.store.setMeta({ updated_at: new Date().toISOString(), next_seq: this.seq });
        // Awaited so the list is current by the time a client sees the turn end.
        return this.syncDirectory();
      };
    } else {
      const callerHasSystem = input.mode.messages.some((m) => m.role === "system");
      const system: ChatMessage[] = config.systemPrompt && !callerHasSystem ? [{ role: "system", content: config.systemPrompt }] : [];
      request.messages = [...system, ...input.mode.messages];
    }

    const tools = createToolbox(config);
    const turn = new ActiveTurn(
      {
        provider: createProvider(resolveUpstream(config, input.modelConfig)),
        request,
        messageId,
        createdAt,
        tools,
        recorder,
        limits: { maxToolSteps: config.maxToolSteps, toolTimeoutMs: config.toolTimeoutMs, toolResultMaxChars: config.toolResultMaxChars },
      },
      { nextSeq: () => this.seq++, onEvent },
    );
    const subscriber = turn.subscribe(input.dialect);
    this.active = turn;
    void turn.done.finally(() => {
      if (this.active === turn) this.active = null;
    });
    // The turn runs to its end even if the client goes away; only abort stops it.
    this.ctx.waitUntil(turn.settled);
    return { ok: true, stream: subscriber.stream, turnId: turn.turnId, messageId };
  }

  /** Stops the running turn; resolves once its partial reply is stored (or after a bound). */
  async abort(): Promise<boolean> {
    const turn = this.active;
    if (!turn || turn.ended) return false;
    turn.abort();
    await Promise.race([turn.done, new Promise((r) => setTimeout(r, ABORT_SETTLE_MS))]);
    return true;
  }

  conversation(): Conversation | null {
    const summary = this.summary();
    return summary && { ...summary, messages: this.store.messages() };
  }

  private recordUserMessage(owner: string, sessionId: string, content: string, now: string): void {
    if (!this.store.meta()) {
      this.store.setMeta({ session_id: sessionId, owner, title: titleFrom(content), created_at: now });
    }
    this.store.insertMessage({ id: crypto.randomUUID(), role: "user", content, created_at: now, status: "complete", usage: null });
    this.store.setMeta({ updated_at: now, next_seq: this.seq });
  }

  private summary(): ConversationSummary | null {
    const meta = this.store.meta();
    if (!meta) return null;
    return {
      session_id: meta.sessionId,
      title: meta.title,
      created_at: meta.createdAt,
      updated_at: meta.updatedAt,
      message_count: this.store.messageCount(),
    };
  }

  /** Pushes this session's summary to its owner's directory, in order, never failing the turn. */
  private syncDirectory(): Promise<void> {
    const meta = this.store.meta();
    const summary = this.summary();
    if (!meta || !summary) return this.directorySync;
    const directory = directoryStub(this.env, meta.owner);
    this.directorySync = this.directorySync
      .then(() => directory.upsert(summary))
      .catch((err) => console.error("directory update failed", err instanceof Error ? err.message : "unknown"));
    this.ctx.waitUntil(this.directorySync);
    return this.directorySync;
  }
}

/** Until a model writes one, a conversation is titled by the first words of its first question. */
export function titleFrom(content: string): string {
  const words = content.trim().split(/\s+/).slice(0, TITLE_WORDS).join(" ");
  return words.length > TITLE_CHARS ? `${words.slice(0, TITLE_CHARS - 1)}…` : words;
}
