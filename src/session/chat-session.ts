/**
 * ChatSession: one Durable Object per owner+session. A thin coordinator: the store keeps the
 * history, ActiveTurn runs the one turn at a time, the directory hears about changes.
 */
import { DurableObject } from "cloudflare:workers";
import { sessionBaseline, sessionMigrations } from "../../migrations";
import { type Config, configFor } from "../config";
import { ownerStore } from "../credentials/address";
import type { ConversationSummary } from "../directory/directory";
import { type Dialect, type EncoderOptions, isSse, replaysWholeTurn } from "../events/encode";
import type { StoredMessage, TurnEvent } from "../events/types";
import { copyFiles, deleteFiles, deleteSessionFiles } from "../files/attachments";
import { logError } from "../lib/log";
import { createModelProvider, type ModelConfig, resolveModel, resolveUpstream } from "../llm/model-config";
import { costOf, turnUsage } from "../llm/pricing";
import { ConnectionKeeper } from "../mcp/keep";
import { applyMigrations } from "../storage/migrate";
import type { ElicitationAnswer } from "../tools/types";
import { ActiveTurn, type TurnHooks } from "./active-turn";
import { directoryStub } from "./address";
import { AnswerStream } from "./answer-stream";
import { cancelPaused, continuation, currentStretch, persistedInput, persistTurn } from "./continuation";
import { applyChange, type ConversationChange, conversationView } from "./conversation-view";
import { EventLog } from "./event-log";
import { HeldWrites } from "./held-writes";
import { KeptTurns } from "./kept-turns";
import { OrderedUpdates } from "./ordered-updates";
import { recoverInterruptedTurns, SEQ_GAP_AFTER_RESTART } from "./recovery";
import { SessionStore } from "./store";
import { Subscriber } from "./subscriber";
import { titleFrom, titleModelConfig, writeTitle } from "./title";
import { Transcript } from "./transcript";
import { recordTurn } from "./turn-metrics";
import { type AddedMessage, addedMessages, historyEnd, placeTurn, storeTurnInput, turnContext } from "./turn-modes";
import { streamingReply } from "./turn-output";
import { modelSettings, turnSpec } from "./turn-spec";
import { type PersistedTurn, type TurnRow, TurnStates } from "./turn-state";
import {
  type ApprovalAnswer,
  type ApprovalResult,
  busy,
  type Conversation,
  type KeptTurnView,
  type Refusal,
  type ResumeResult,
  storesTurn,
  type TurnInput,
  type TurnResult,
  type TurnStart,
} from "./types";
import { Watchers } from "./watchers";

/** How long an abort waits for the turn to store its partial reply before answering. */
const ABORT_SETTLE_MS = 2000;
/** Event logs are kept this long after their turn ends, for clients that come back. */
const EVENT_LOG_TTL_MS = 10 * 60_000;
/** While a turn runs the alarm is kept this close, so a restart that cuts it wakes the object soon. */
const RUNNING_TURN_ALARM_MS = 15_000;

/** A turn that started, for `startTurn` to stream or `completeTurn` to collect. */
interface Begun {
  ok: true;
  turn: ActiveTurn;
  messageId: string;
  model: string;
  /** A used session's stored turn: resolves once its first writes are made (held-writes.ts). */
  written?: Promise<void>;
}

export class ChatSession extends DurableObject<Env> {
  private readonly store: SessionStore;
  private readonly log: EventLog;
  private readonly kept: KeptTurns;
  /** The persisted turn state machine: what a turn needs to go on after a pause or a restart. */
  private readonly states: TurnStates;
  private active: ActiveTurn | null = null;
  private seq = 1;
  /** MCP connections kept from one turn to the next. */
  private readonly mcpConnections = new ConnectionKeeper();
  /** Updates to the owner's directory, in order, never failing a turn. */
  private readonly directory = new OrderedUpdates(
    (p) => this.ctx.waitUntil(p),
    (err) => logError("directory update failed", err),
  );
  /** Whether this object has its tables: only once something was stored. */
  private hasSchema = false;
  /** When the alarm this object set goes off; null when none is, or since it started, unknown. */
  private alarmAt: number | null = null;
  /** The latest stored turn's first writes, held until its model request has gone (held-writes.ts). */
  private held: HeldWrites | null = null;
  /** Clients waiting for the next turn to start (see `watch`). */
  private readonly watchers = new Watchers();

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.store = new SessionStore(ctx.storage.sql);
    this.log = new EventLog(ctx.storage.sql);
    this.kept = new KeptTurns(ctx.storage.sql);
    this.states = new TurnStates(ctx.storage.sql);
    ctx.blockConcurrencyWhile(async () => {
      // A fresh object stays empty until it stores something: a stateless turn or a probe for an
      // unknown id leaves nothing behind. An existing one is upgraded and checked on wake.
      if (!tableExists(ctx.storage.sql, "_schema_version")) return;
      this.ensureSchema();
      this.recover();
    });
  }

  /** Starts a turn and returns its live stream in the caller's dialect. */
  startTurn(input: TurnInput): Promise<TurnStart> {
    return this.open(input, (turn, options, onGone) => this.subscribe(turn, input.dialect, undefined, options, onGone));
  }

  /**
   * Starts a stateless turn answered whole, once it has produced something (a failure before
   * that is a refusal, for an HTTP status): a stream of spaces that ends with the answer's JSON,
   * so that the turn stops if its caller goes away (see answer-stream.ts).
   */
  answerTurn(input: TurnInput, strict: boolean): Promise<TurnStart> {
    return this.open({ ...input, holdAnswer: "until-output" }, (turn, options, onGone) =>
      turn.follow(new AnswerStream(input.dialect, options, { strict, onGone: onGone ?? (() => {}) })),
    );
  }

  /**
   * Begins a turn and hands it to the one client that asked for it. A stateless turn stops when
   * that client goes away: nobody else can ever read it.
   */
  private async open(
    input: TurnInput,
    listen: (turn: ActiveTurn, options: EncoderOptions, onGone?: () => void) => { stream: ReadableStream<Uint8Array> },
  ): Promise<TurnStart> {
    const started = this.begin(input);
    if (!started.ok) return started;
    const { turn, model } = started;
    const stored = storesTurn(input.mode);
    const client = listen(
      turn,
      {
        // A stateless turn's session is a throwaway: naming it would suggest it can be looked up.
        ...this.encoderOptions(model, undefined, stored ? input.sessionId : ""),
        includeUsage: input.includeUsage,
        clientTools: Boolean(input.clientTools?.length),
        echo: input.echo,
      },
      stored ? undefined : () => turn.abort("the client went away"),
    );
    // A used session's answer follows the turn's writes (held-writes.ts says why).
    await started.written;
    if (input.holdAnswer) {
      const first = await (input.holdAnswer === "until-output"
        ? turn.firstOutput
        : Promise.race([turn.firstOutput, turn.accepted]));
      if (first?.type === "error") {
        void client.stream.cancel().catch(() => {});
        return { ok: false, code: first.code, message: first.message, retryAfter: first.retryAfter, turnRan: true };
      }
    }
    return { ok: true, stream: client.stream, turnId: turn.turnId, messageId: started.messageId };
  }

  /** Runs a turn to its end and returns all its events: for answers that are not streamed. */
  async completeTurn(input: TurnInput): Promise<TurnResult> {
    const started = this.begin(input);
    if (!started.ok) return started;
    return { ok: true, events: await started.turn.collect() };
  }

  /**
   * The running turn's live events, or, when idle, those of the next turn to start within
   * `waitMs` (the conversations API's client opens its EventSource before it posts the message).
   * The stream ends with that turn; if none starts in time it ends empty and EventSource reconnects.
   */
  watch(dialect: Dialect, waitMs = 30_000): ReadableStream<Uint8Array> {
    // A turn already running is shown from its start: the POST that started it may have beaten
    // this GET by a moment, and the client must still see the turn's first frame.
    const live = this.running();
    if (live) return this.subscribe(live, dialect, 0).stream;
    return this.watchers.wait(waitMs, (turn) => this.subscribe(turn, dialect).stream);
  }

  /**
   * Resumes the latest turn for a client that lost its stream: the logged events after `after`,
   * then the live ones while the turn runs (all of it when `after` is not given). A turn that has
   * ended is replayed only to a client that says where it stopped. `dialect` defaults to the one
   * the turn started in. Nothing running and nothing to replay: 204.
   */
  resume(
    options: { dialect?: Dialect; after?: number; messageId?: string; startingAfter?: number } = {},
  ): ResumeResult {
    const after = options.after ?? 0;
    const turn = this.running();
    const wanted = (messageId: string) => options.messageId === undefined || options.messageId === messageId;
    if (turn && wanted(turn.messageId)) {
      const dialect = options.dialect ?? turn.dialect;
      const sub = this.subscribe(turn, dialect, after, { startingAfter: options.startingAfter });
      return { ok: true, stream: sub.stream, dialect };
    }
    // A client with no position (the AI SDK's reconnect on page load) resumes only a live turn;
    // one that names its turn (a Responses API resume) has its position in that turn.
    if ((options.after === undefined && options.messageId === undefined) || !this.tables)
      return { ok: false, status: 204 };
    const logged = options.messageId === undefined ? this.log.latest() : this.log.turnOf(options.messageId);
    if (!logged) return { ok: false, status: 204 };
    const dialect = options.dialect ?? logged.dialect;
    const whole = replaysWholeTurn(dialect);
    const events = this.log.eventsAfter(logged.turnId, whole ? 0 : after);
    if (!events.some((e) => e.seq > after)) return { ok: false, status: 204 };
    const sub = new Subscriber(
      dialect,
      { ...this.encoderOptions(logged.model, logged.messageId), startingAfter: options.startingAfter },
      { sse: isSse(dialect), sentThrough: whole ? after : 0 },
    );
    for (const e of events) sub.send(e);
    void sub.close();
    return { ok: true, stream: sub.stream, dialect };
  }

  /** A kept turn (a stored Responses API response) and its reply so far; null when there is none. */
  keptTurn(messageId: string): KeptTurnView | null {
    const kept = this.tables ? this.kept.get(messageId) : null;
    if (!kept) return null;
    const paused = this.paused();
    return {
      messageId,
      createdAt: kept.createdAt,
      echo: kept.echo,
      finishReason: kept.finishReason,
      running: this.running()?.messageId === messageId,
      messages: this.store.messagesFrom(messageId, kept.lastIdx),
      pendingApprovals:
        paused?.messageId === messageId
          ? this.states
              .approvals(paused.turnId)
              .filter((a) => a.approved === null)
              .map(({ approvalId, callId, name }) => ({ approvalId, callId, name }))
          : [],
    };
  }

  /** Stops the kept turn `messageId` if it is the one running; false when it is not. */
  async cancelKept(messageId: string): Promise<boolean> {
    return this.running()?.messageId === messageId ? this.abort() : false;
  }

  /**
   * Deletes a kept turn: its input and its reply. A conversation left with nothing is deleted
   * whole; the rest of one that goes on is kept. A turn still running is stopped first.
   */
  async deleteKept(messageId: string): Promise<boolean> {
    if (!this.tables?.meta() || !this.kept.get(messageId)) return false;
    // A turn waiting for approvals is stopped too (its calls get their results, after its last row).
    const paused = this.paused()?.messageId === messageId;
    if (this.running()?.messageId === messageId || paused) await this.abort();
    const kept = this.kept.get(messageId)!;
    const through = paused ? this.store.lastIdx() : (kept.lastIdx ?? this.store.lastIdx());
    const files = this.store.attachmentsBetween(kept.afterIdx, through);
    const left = this.store.deleteBetween(kept.afterIdx, through);
    this.kept.forget(messageId);
    // The turn's files go with it (a conversation left with nothing loses all of its own below).
    const meta = this.tables.meta()!;
    await deleteFiles(this.env.FILES, meta.owner, meta.sessionId, files);
    // Its events go too: a resume must not bring back what was deleted.
    this.log.forget(messageId);
    if (left === 0) return this.destroy();
    this.store.setMeta({ updated_at: new Date().toISOString() });
    await this.syncDirectory();
    return true;
  }

  /** The history up to the end of kept turn `messageId`, to continue it elsewhere; null when unknown. */
  historyThrough(messageId: string): StoredMessage[] | null {
    const kept = this.tables ? this.kept.get(messageId) : null;
    if (!kept) return null;
    return this.store.messagesThrough(kept.lastIdx ?? this.store.lastIdx());
  }

  /** Creates the conversation with `messages` as its history (a copy of another's, to continue). */
  async seed(owner: string, sessionId: string, messages: StoredMessage[], from?: string): Promise<void> {
    this.ensureSchema();
    if (this.store.meta()) throw new Error(`session ${sessionId} exists already`);
    // The files go first: the copy must not reference any it does not have.
    if (from)
      await copyFiles(
        this.env.FILES,
        owner,
        from,
        sessionId,
        messages.flatMap((m) => m.attachments ?? []),
      );
    const now = new Date().toISOString();
    const title = titleFrom(messages.find((m) => m.role === "user")?.content ?? "");
    this.store.setMeta({ session_id: sessionId, owner, title, created_at: now, updated_at: now, next_seq: this.seq });
    for (const m of messages) this.store.insertMessage(m);
    await this.syncDirectory();
  }

  /**
   * Prunes event logs of turns that ended long enough ago (messages are never pruned), denies
   * approvals nobody answered in time (the turn then goes on), and keeps itself set while a turn
   * runs: waking the object is what continues a turn a restart cut (see `recover`).
   */
  async alarm(): Promise<void> {
    this.alarmAt = null;
    if (!this.tables) return;
    const remaining = this.log.prune(new Date(Date.now() - EVENT_LOG_TTL_MS));
    this.states.prune();
    const timeout = configFor(this.env).approvalTimeoutMs;
    for (const turnId of this.states.expire(Date.now(), `no answer came within ${timeout} ms`)) this.goOn(turnId);
    this.armAlarm(remaining > 0);
  }

  /**
   * A person's answer to a tool call waiting for approval. When it is the last one its turn
   * waited for, the turn goes on (streamed to whoever follows the session).
   */
  answerApproval(approvalId: string, answer: ApprovalAnswer): ApprovalResult {
    const refused = this.checkAnswers([{ ...answer, approvalId }]);
    if (refused) return refused;
    const taken = this.states.answer(approvalId, answer.approved, answer.reason);
    if (!taken.ok) return { ok: false, code: taken.code, message: `approval ${approvalId}: ${taken.code}` };
    const turn = this.goOn(taken.turnId);
    return { ok: true, approved: answer.approved, state: turn ? "running" : "awaiting_approval" };
  }

  /**
   * The AI SDK's way: answers carried by the next request (`tool-approval-response`), answered
   * with the continued turn's stream in `dialect`. Nothing is recorded unless every answer can be.
   */
  answerApprovals(answers: (ApprovalAnswer & { approvalId: string })[], dialect: Dialect): TurnStart {
    const refused = this.checkAnswers(answers);
    if (refused) return refused;
    let turnId: string | null = null;
    for (const a of answers) {
      const taken = this.states.answer(a.approvalId, a.approved, a.reason);
      if (taken.ok) turnId = taken.turnId;
    }
    const turn = turnId ? this.goOn(turnId) : null;
    if (!turn)
      return {
        ok: false,
        code: "approval_pending",
        message: "other tool calls of this reply still wait for an answer",
      };
    return { ok: true, stream: this.subscribe(turn, dialect).stream, turnId: turn.turnId, messageId: turn.messageId };
  }

  /** Refuses a set of answers before any is recorded: an unknown call, or one answered otherwise before. */
  private checkAnswers(
    answers: (ApprovalAnswer & { approvalId: string })[],
  ): Extract<ApprovalResult, { ok: false }> | null {
    for (const a of answers) {
      const row = this.tables ? this.states.find(a.approvalId) : null;
      if (row && row.approved !== null)
        return { ok: false, code: "approval_answered", message: `tool call ${a.approvalId} has been answered already` };
      if (row?.turnState !== "awaiting_approval")
        return { ok: false, code: "approval_not_found", message: `no tool call ${a.approvalId} waits for an approval` };
    }
    return null;
  }

  /** The paused turn `turnId` goes on once nothing of it waits any more; null while something does. */
  private goOn(turnId: string): ActiveTurn | null {
    if (this.running() || this.states.unanswered(turnId) > 0) return null;
    const row = this.states.get(turnId);
    return row?.state === "awaiting_approval" ? this.resumeTurn(row, false) : null;
  }

  /**
   * Picks up a persisted turn: after its approvals were answered, or (`restarted`) after a
   * restart cut it. Its events go on in the same log under the same turn id.
   */
  private resumeTurn(row: TurnRow, restarted: boolean): ActiveTurn | null {
    const config = configFor(this.env);
    const plan = continuation(this.store, config, row, this.states.decisions(row.turnId), restarted);
    if (!plan) {
      this.states.move(row.turnId, "ended");
      return null;
    }
    if (plan.insert) this.store.insertMessage(plan.insert);
    const input = persistedInput(row.spec);
    const request = { ...modelSettings(config, input.modelConfig), stop: input.stop, messages: plan.messages };
    const owner = {
      id: input.owner,
      store: ownerStore(this.env, config, input.owner),
      connections: this.mcpConnections,
    };
    const turn = new ActiveTurn(
      {
        ...turnSpec(
          config,
          input,
          request,
          { id: row.messageId, created_at: row.spec.createdAt },
          owner,
          this.env.FILES,
        ),
        canPause: true,
        resume: plan.resume,
      },
      this.turnHooks(input, true, config, row.messageId),
      input.dialect,
      config.turnTimeoutMs,
      { turnId: row.turnId, earlier: restarted ? currentStretch(this.log, row.turnId) : [] },
    );
    this.states.move(row.turnId, "running", { attempt: restarted });
    this.track(turn);
    return turn;
  }

  /**
   * The user's answer to a question a tool of the running turn asked; false when no such question
   * waits (answered, timed out, another turn's, or never asked).
   */
  answerElicitation(id: string, answer: ElicitationAnswer): boolean {
    return this.running()?.elicitations.answer(id, answer) ?? false;
  }

  /** Stops the running turn; resolves once its partial reply is stored (or after a bound). */
  async abort(): Promise<boolean> {
    const turn = this.running();
    const paused = !turn && this.tables ? this.states.awaiting() : null;
    if (paused) {
      this.seq = cancelPaused(
        { store: this.store, log: this.log, states: this.states },
        paused,
        this.seq,
        "the user stopped the reply",
      );
      this.store.setMeta({ next_seq: this.seq, updated_at: new Date().toISOString() });
      await this.syncDirectory();
      return true;
    }
    if (!turn) return false;
    turn.abort();
    await Promise.race([turn.done, new Promise((r) => setTimeout(r, ABORT_SETTLE_MS))]);
    return true;
  }

  /**
   * The conversation: its active branch (a message with siblings lists them), or with `all` every
   * message of every branch, each with its parent; null when there is none.
   */
  conversation(all = false): Conversation | null {
    const summary = this.tables?.summary();
    return summary ? conversationView(this.store, summary, all) : null;
  }

  /** Renames it, sets its system prompt, or makes another branch the active one (`PATCH`). */
  async update(change: ConversationChange): Promise<Conversation | Refusal | null> {
    const meta = this.tables?.meta();
    if (!meta) return null;
    const refused = applyChange(this.store, meta.sessionId, change, this.running() !== null);
    if (refused) return refused;
    await this.syncDirectory();
    return this.conversation();
  }

  /** Creates the conversation if it does not exist yet (the conversations API's POST). */
  async create(owner: string, sessionId: string, title?: string): Promise<ConversationSummary> {
    this.ensureSchema();
    if (!this.store.meta()) {
      const now = new Date().toISOString();
      this.store.setMeta({
        session_id: sessionId,
        owner,
        title: title ?? "",
        ...(title ? { title_by_caller: 1 } : {}),
        created_at: now,
        updated_at: now,
        next_seq: this.seq,
      });
      await this.syncDirectory();
    }
    return this.store.summary()!;
  }

  /** Forgets the messages, keeps the conversation. */
  async clear(): Promise<ConversationSummary | Refusal | null> {
    const meta = this.tables?.meta();
    if (!meta) return null;
    if (this.running() || this.paused()) return busy(meta.sessionId);
    this.store.clearMessages();
    await deleteSessionFiles(this.env.FILES, meta.owner, meta.sessionId);
    // The logs of cleared turns must not be resumable either.
    this.log.prune(new Date(Date.now() + 1));
    this.store.setMeta({ updated_at: new Date().toISOString() });
    await this.syncDirectory();
    return this.store.summary();
  }

  /** Deletes the conversation: every row of this object, and its line in the owner's directory. */
  async destroy(): Promise<boolean> {
    const meta = this.tables?.meta();
    if (!meta) return false;
    const turn = this.running();
    if (turn) {
      turn.abort("the conversation was deleted");
      await turn.done;
    }
    await directoryStub(this.env, meta.owner).remove(meta.sessionId);
    await deleteSessionFiles(this.env.FILES, meta.owner, meta.sessionId);
    await this.ctx.storage.deleteAll();
    this.alarmAt = null;
    // Gone entirely, tables too: the object is as if it had never been used.
    this.store.forget();
    this.hasSchema = false;
    this.seq = 1;
    return true;
  }

  /** The turn still running, or null; one that has sent its `turn-end` no longer counts. */
  private running(): ActiveTurn | null {
    return this.active && !this.active.ended ? this.active : null;
  }

  /**
   * The store once this object has its tables; null while it has stored nothing. A turn's held
   * writes are made first, so that whatever reads the tables sees the turn's question.
   */
  private get tables(): SessionStore | null {
    this.held?.release();
    return this.hasSchema ? this.store : null;
  }

  /**
   * Starts a turn: its model settings (a refused upstream stops it here, before any write), the
   * branch a regenerate or an edit answers in, its context, then the turn itself, wired to the
   * transcript and the event log when it is stored. A stored turn's other writes are held until
   * its model request has gone, a new session's until its first text has (held-writes.ts).
   */
  private begin(input: TurnInput): Begun | Refusal {
    if (this.running() || (storesTurn(input.mode) && this.paused())) return busy(input.sessionId);
    const config = configFor(this.env);
    const settings = modelSettings(config, input.modelConfig);
    const reply = streamingReply(crypto.randomUUID(), new Date().toISOString(), settings.model);
    const stored = storesTurn(input.mode);
    const persisted = stored ? persistTurn(input, reply) : null;
    const end = historyEnd(input, this.tables ? { store: this.store, kept: this.kept } : null);
    if (typeof end === "object" && end !== null) return end;
    // The context is read from the branch moved to, so this write cannot wait.
    const refused = stored ? placeTurn(input, () => this.schema()) : null;
    if (refused) return refused;
    const added = stored ? addedMessages(input) : [];
    const systemPrompt = input.systemPrompt ?? (this.tables?.meta()?.systemPrompt || undefined);
    const context = turnContext({ ...input, systemPrompt }, config, this.tables, end, added);
    const request = { ...settings, stop: input.stop, messages: context };
    let turn: ActiveTurn | undefined;
    const used = this.hasSchema;
    // Made in a timer or by the turn's first output: either way after `turn` is set.
    const held = persisted
      ? new HeldWrites(
          () => this.storeTurnStart(input, reply, end, added, turn!.turnId, persisted),
          (err) => {
            logError("the turn's first writes failed", err);
            turn?.abort("the turn could not be stored");
          },
          // A new session's first writes create its database: they follow its first text.
          used ? "after-request" : "after-first-text",
        )
      : null;
    turn = new ActiveTurn(
      {
        ...turnSpec(
          config,
          input,
          request,
          reply,
          {
            id: input.owner,
            store: ownerStore(this.env, config, input.owner),
            connections: this.mcpConnections,
          },
          this.env.FILES,
        ),
        // A turn on the caller's own key cannot wait: the key is never stored, so nothing could go on later.
        canPause: Boolean(persisted && !persisted.callerKey),
      },
      this.turnHooks(input, stored, config, reply.id, held),
      input.dialect,
      config.turnTimeoutMs,
    );
    if (held) this.held = held;
    this.track(turn, this.hasSchema && !held);
    return { ok: true, turn, messageId: reply.id, model: request.model, written: used ? held?.written : undefined };
  }

  /** The store, with its tables made if this object had none yet. */
  private schema(): SessionStore {
    this.ensureSchema();
    return this.store;
  }

  /**
   * A stored turn's first writes: the schema of a new session, what its mode adds, the empty
   * reply, its log and state rows, the alarm that watches it; an `append` turn is kept, its rows
   * being those after `end`. A new session is listed in its owner's directory now, so that it
   * shows while its first reply streams; a listed one's line is brought up to date when the turn
   * ends (`turnEnded`): a directory call at the start as well was 12 % of a short stored turn's
   * CPU (`npm run bench`), for a line that changes again a moment later.
   */
  private storeTurnStart(
    input: TurnInput,
    reply: StoredMessage,
    end: number | null,
    added: AddedMessage[],
    turnId: string,
    persisted: PersistedTurn,
  ): void {
    const listed = this.hasSchema && this.store.meta() !== null;
    this.ensureSchema();
    storeTurnInput(input, added, { store: this.store, now: reply.created_at, nextSeq: this.seq });
    this.store.insertMessage(reply);
    if (input.mode.kind === "append")
      this.kept.keep({ messageId: reply.id, afterIdx: end ?? 0, echo: input.echo ?? {}, createdAt: reply.created_at });
    this.log.begin({ turnId, dialect: input.dialect, model: reply.model ?? "", messageId: reply.id });
    this.states.begin(turnId, persisted);
    if (this.active?.turnId === turnId && !this.active.ended) this.armAlarm(false);
    if (!listed) void this.syncDirectory();
  }

  /**
   * Numbers the turn's events. A stored turn's rows go through a transcript and its events to the
   * log; each transcript write flushes the log and the sequence counter with it, so one commit
   * (one wait at the output gate) carries all three.
   */
  private turnHooks(
    input: TurnInput,
    stored: boolean,
    config: Config,
    messageId: string,
    held: HeldWrites | null = null,
  ): TurnHooks {
    // Until its first writes are made, the turn's own writes queue behind them; its first text
    // makes them in the next task, anything else it yields after its start at once (held-writes.ts).
    const after = (out: { type: string }, write: () => void) => {
      if (!held) return write();
      if (out.type === "text-delta") held.afterFirstText();
      else if (out.type !== "turn-start") held.release();
      held.run(write);
    };
    const transcript = stored
      ? new Transcript(this.store, messageId, () => {
          this.log.flush();
          this.store.setMeta({ next_seq: this.seq });
        })
      : null;
    return {
      nextSeq: () => this.seq++,
      record: transcript ? (out) => after(out, () => transcript.observe(out)) : undefined,
      onEvent: (event) => {
        if (stored)
          after(event, () => {
            this.log.append(event);
            this.states.observe(event, config.approvalTimeoutMs);
          });
        if (event.type !== "turn-end") return undefined;
        if (stored && input.mode.kind === "append") this.kept.finish(messageId, event.message.id, event.finishReason);
        return this.turnEnded(event, input, stored, config);
      },
      onEnd: (clock, last, model) =>
        recordTurn(
          this.env.TURN_METRICS,
          clock.result(last, { model, dialect: input.dialect, stored, workerMs: input.workerMs ?? 0 }),
        ),
    };
  }

  /**
   * The turn becomes the running one until it is done; watchers join it; it outlives its caller.
   * `alarm`: the alarm that watches a running turn is set now (a held turn sets it with its writes).
   */
  private track(turn: ActiveTurn, alarm = this.hasSchema): void {
    this.active = turn;
    this.watchers.start(turn);
    void turn.done.finally(() => {
      if (this.active === turn) this.active = null;
    });
    // The turn runs to its end even if the client goes away; only abort stops it.
    this.ctx.waitUntil(turn.settled);
    if (alarm) this.armAlarm(false);
  }

  /** A stored turn waiting for approvals, if one is. */
  private paused(): TurnRow | null {
    return this.tables ? this.states.awaiting() : null;
  }

  /**
   * Sets the one alarm to the earliest thing due: a look at the running turn (`running`: is one
   * running, by default whether `running()` says so), the next approval deadline, and (`logs`)
   * the pruning of kept event logs.
   *
   * An alarm already set to go off no later is kept: when it goes off, `alarm` sets the next one
   * from what is due then, so going off early costs nothing but the look. Setting it anew is a
   * commit of its own that the output gate waits for: at every turn's start (the starter's answer
   * waits for it) and end (so does `turn-end`), 0.5–0.8 ms each under `wrangler dev`. So turns that
   * follow each other within the running-turn interval write no alarm at all, and a turn's end
   * leaves the pruning to the alarm its start set.
   */
  private armAlarm(logs: boolean, running = this.running() !== null): void {
    const due: number[] = [];
    const now = Date.now();
    if (running) due.push(now + RUNNING_TURN_ALARM_MS);
    const deadline = this.states.nextDeadline();
    if (deadline !== null) due.push(deadline);
    if (logs) due.push(now + EVENT_LOG_TTL_MS);
    if (!due.length) return;
    const at = Math.min(...due);
    if (this.alarmAt !== null && this.alarmAt > now && this.alarmAt <= at) return;
    this.alarmAt = at;
    void this.ctx.storage.setAlarm(at);
  }

  /** Awaited before `turn-end` goes out, so lists and stats are current when a client sees it. */
  private turnEnded(
    event: Extract<TurnEvent, { type: "turn-end" }>,
    input: TurnInput,
    stored: boolean,
    config: Config,
  ): Promise<void> {
    if (stored) {
      // A paused turn's log stays open: it goes on in it once the person has answered.
      if (event.finishReason === "awaiting-approval") this.log.flush();
      else this.log.end(event.turnId);
      this.store.setMeta({ updated_at: new Date().toISOString(), next_seq: this.seq });
      this.armAlarm(true, false);
    }
    const summary = stored ? this.store.summary() : null;
    const usage = turnUsage(config.modelPrices, event.message.model ?? "", event.usage);
    const stub = directoryStub(this.env, input.owner);
    if (
      stored &&
      config.autoTitles &&
      // The demo model's canned answer would make every title the same: keep the first words then.
      resolveUpstream(config, input.modelConfig).kind !== "demo" &&
      event.finishReason === "stop" &&
      summary?.message_count === 2 &&
      !this.store.meta()?.titleByCaller
    ) {
      this.ctx.waitUntil(this.retitle(config, event.message.content, titleModelConfig(input.modelConfig)));
    }
    return this.directory.push(() => stub.turnEnded(input.turnSlot, summary, usage));
  }

  /** After the first exchange: the model's title replaces the first-words one, if it gives one. */
  private async retitle(config: Config, answer: string, modelConfig: ModelConfig): Promise<void> {
    const question = this.store.messages().find((m) => m.role === "user")?.content ?? "";
    const title = await writeTitle(
      createModelProvider(config, modelConfig),
      resolveModel(config, modelConfig.model_name),
      question,
      answer,
      AbortSignal.timeout(20_000),
    );
    if (!title || !this.tables?.meta()) return;
    this.store.setMeta({ title, updated_at: new Date().toISOString() });
    await this.syncDirectory();
  }

  /**
   * A client following `turn` in `dialect`: what was published after `replayAfter`, then the live
   * events. A dialect that frames only whole turns is fed all of it and sends what is new.
   */
  private subscribe(
    turn: ActiveTurn,
    dialect: Dialect,
    replayAfter?: number,
    options: Partial<EncoderOptions> = {},
    onGone?: () => void,
  ): Subscriber {
    const whole = replayAfter !== undefined && replaysWholeTurn(dialect);
    // A client joining later is told what the turn's starter was (its echo); the starter says it itself.
    const joining = replayAfter !== undefined ? turn.messageId : undefined;
    return turn.subscribe(
      dialect,
      { ...this.encoderOptions(turn.model, joining, options.sessionId), ...options },
      whole ? 0 : replayAfter,
      {
        sse: isSse(dialect),
        sentThrough: whole ? replayAfter : 0,
        onGone,
        heartbeatMs: configFor(this.env).streamHeartbeatMs,
      },
    );
  }

  /**
   * How a turn's frames are framed: for a client that did not start it (`messageId`), a kept turn
   * repeats its echo. Given its `sessionId`, nothing is read (the turn's starter: its writes may
   * still be held).
   */
  private encoderOptions(model: string, messageId?: string, sessionId?: string): EncoderOptions {
    const prices = configFor(this.env).modelPrices;
    const kept = messageId && this.tables ? this.kept.get(messageId) : null;
    return {
      sessionId: sessionId ?? this.tables?.meta()?.sessionId ?? "",
      model,
      priceOf: (m, usage) => costOf(prices, m, usage),
      ...(kept ? { echo: kept.echo } : {}),
    };
  }

  private ensureSchema(): void {
    if (this.hasSchema) return;
    applyMigrations(this.ctx.storage, sessionMigrations, sessionBaseline);
    this.hasSchema = true;
    this.seq = Math.max(this.seq, this.store.meta()?.nextSeq ?? 1);
  }

  /**
   * On wake: a turn a restart cut is continued (`TURN_RECOVERY=continue`, while it has attempts
   * left and no caller's key); any other unfinished turn is closed as interrupted; a paused turn
   * keeps waiting for its answers.
   */
  private recover(): void {
    const unfinished = this.log.unfinished().map((t) => this.states.get(t.turnId));
    const spared = new Set(unfinished.filter((t) => t?.state === "awaiting_approval").map((t) => t!.turnId));
    // A misconfigured server serves nothing; its turns are closed as interrupted as before.
    const config = (() => {
      try {
        return configFor(this.env);
      } catch {
        return null;
      }
    })();
    const goOn =
      config?.turnRecovery === "continue"
        ? unfinished.find(
            (t) => t?.state === "running" && t.attempts < config.turnRecoveryAttempts && !t.spec.callerKey,
          )
        : undefined;
    if (goOn) {
      // Sequence numbers jump past anything a client could have seen and the log missed.
      this.seq = Math.max(this.seq, this.log.maxSeq() + 1) + SEQ_GAP_AFTER_RESTART;
      this.store.setMeta({ next_seq: this.seq });
      this.resumeTurn(goOn, true);
      return;
    }
    const seq = recoverInterruptedTurns(this.store, this.log, this.seq, spared);
    for (const t of unfinished) if (t && !spared.has(t.turnId)) this.states.move(t.turnId, "ended");
    if (seq === this.seq) return;
    this.seq = seq;
    this.armAlarm(true, false);
  }

  /** Pushes this session's summary to its owner's directory, in order, never failing the turn. */
  private syncDirectory(): Promise<void> {
    const meta = this.tables?.meta();
    const summary = this.tables?.summary();
    if (!meta || !summary) return this.directory.settled();
    const stub = directoryStub(this.env, meta.owner);
    return this.directory.push(() => stub.upsert(summary));
  }
}

function tableExists(sql: SqlStorage, name: string): boolean {
  return sql.exec("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", name).toArray().length > 0;
}
