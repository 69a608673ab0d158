/**
 * The persisted turn state machine (schema 6): running → awaiting_approval → running → … →
 * ended, one row per stored turn, with what the turn needs to go on (`PersistedTurn`) and the
 * tool calls waiting for a person (approvals). The object may be evicted at any state; whoever
 * wakes it (a request, the alarm) reads the turn from here.
 */
import type { TurnEvent } from "../events/types";
import type { Decision } from "./approvals";
import type { TurnInput } from "./types";

export type TurnStateName = "running" | "awaiting_approval" | "ended";

/**
 * A turn's input as it can be stored: everything but what it said (its rows hold that) and the
 * caller's own key, which is never stored; a turn that ran on one cannot be picked up again.
 */
export type PersistedTurn = Omit<TurnInput, "mode" | "holdAnswer" | "includeUsage" | "echo"> & {
  modeKind: TurnInput["mode"]["kind"];
  /** The turn's first reply message. */
  messageId: string;
  createdAt: string;
  /** The caller brought its own key: the turn can neither pause nor be continued. */
  callerKey: boolean;
};

export interface TurnRow {
  turnId: string;
  messageId: string;
  state: TurnStateName;
  spec: PersistedTurn;
  attempts: number;
}

export interface ApprovalRow {
  approvalId: string;
  turnId: string;
  callId: string;
  name: string;
  /** Null until answered. */
  approved: boolean | null;
  reason: string | null;
  expiresAt: number;
}

/** How an answer was taken. */
export type AnswerResult =
  | { ok: true; turnId: string }
  | { ok: false; code: "approval_not_found" | "approval_answered" };

type Row = Record<string, SqlStorageValue>;

function turnRow(r: Row): TurnRow {
  return {
    turnId: String(r.turn_id),
    messageId: String(r.message_id),
    state: r.state as TurnStateName,
    spec: JSON.parse(String(r.spec)) as PersistedTurn,
    attempts: Number(r.attempts),
  };
}

function approvalRow(r: Row): ApprovalRow {
  return {
    approvalId: String(r.approval_id),
    turnId: String(r.turn_id),
    callId: String(r.tool_call_id),
    name: String(r.tool_name),
    approved: r.approved === null ? null : Number(r.approved) === 1,
    reason: r.reason === null ? null : String(r.reason),
    expiresAt: Number(r.expires_at),
  };
}

export class TurnStates {
  constructor(private readonly sql: SqlStorage) {}

  begin(turnId: string, spec: PersistedTurn): void {
    this.sql.exec(
      "INSERT INTO turn_state (turn_id, message_id, state, spec, updated_at) VALUES (?, ?, 'running', ?, ?)",
      turnId,
      spec.messageId,
      JSON.stringify(spec),
      new Date().toISOString(),
    );
  }

  get(turnId: string): TurnRow | null {
    const r = this.sql.exec<Row>("SELECT * FROM turn_state WHERE turn_id = ?", turnId).toArray()[0];
    return r ? turnRow(r) : null;
  }

  /** The turn waiting for approvals, if one is. */
  awaiting(): TurnRow | null {
    const r = this.sql.exec<Row>("SELECT * FROM turn_state WHERE state = 'awaiting_approval' LIMIT 1").toArray()[0];
    return r ? turnRow(r) : null;
  }

  /** What a turn event moves: an approval request is stored; the end moves the state. */
  observe(event: TurnEvent, approvalTimeoutMs: number): void {
    if (event.type === "tool-approval-request") {
      this.sql.exec(
        "INSERT INTO approvals (approval_id, turn_id, tool_call_id, tool_name, arguments, expires_at) VALUES (?, ?, ?, ?, ?, ?)",
        event.approvalId,
        event.turnId,
        event.callId,
        event.name,
        JSON.stringify(event.args ?? null),
        Date.now() + approvalTimeoutMs,
      );
    } else if (event.type === "turn-end") {
      this.move(event.turnId, event.finishReason === "awaiting-approval" ? "awaiting_approval" : "ended");
    }
  }

  move(turnId: string, state: TurnStateName, options: { attempt?: boolean } = {}): void {
    this.sql.exec(
      "UPDATE turn_state SET state = ?, attempts = attempts + ?, updated_at = ? WHERE turn_id = ?",
      state,
      options.attempt ? 1 : 0,
      new Date().toISOString(),
      turnId,
    );
  }

  /** The approval `approvalId` with its turn's state; null when there is none. */
  find(approvalId: string): (ApprovalRow & { turnState: TurnStateName }) | null {
    const r = this.sql
      .exec<Row>(
        "SELECT a.*, t.state AS turn_state FROM approvals a JOIN turn_state t ON t.turn_id = a.turn_id WHERE a.approval_id = ?",
        approvalId,
      )
      .toArray()[0];
    return r ? { ...approvalRow(r), turnState: r.turn_state as TurnStateName } : null;
  }

  /** A stopped turn's questions are gone: nobody can answer them any more. */
  forgetApprovals(turnId: string): void {
    this.sql.exec("DELETE FROM approvals WHERE turn_id = ?", turnId);
  }

  /** Records a person's answer; a second answer to the same call is refused. */
  answer(approvalId: string, approved: boolean, reason?: string): AnswerResult {
    const r = this.sql
      .exec<Row>(
        "SELECT a.* FROM approvals a JOIN turn_state t ON t.turn_id = a.turn_id WHERE a.approval_id = ? AND t.state = 'awaiting_approval'",
        approvalId,
      )
      .toArray()[0];
    if (!r) return { ok: false, code: "approval_not_found" };
    if (r.approved !== null) return { ok: false, code: "approval_answered" };
    this.sql.exec(
      "UPDATE approvals SET approved = ?, reason = ?, answered_at = ? WHERE approval_id = ?",
      approved ? 1 : 0,
      reason ?? null,
      new Date().toISOString(),
      approvalId,
    );
    return { ok: true, turnId: String(r.turn_id) };
  }

  /** Denies every unanswered approval past its deadline; returns the turns that have no question left. */
  expire(now: number, reason: string): string[] {
    const turns = this.sql
      .exec<Row>("SELECT DISTINCT turn_id FROM approvals WHERE approved IS NULL AND expires_at <= ?", now)
      .toArray()
      .map((r) => String(r.turn_id));
    this.sql.exec(
      "UPDATE approvals SET approved = 0, reason = ?, answered_at = ? WHERE approved IS NULL AND expires_at <= ?",
      reason,
      new Date(now).toISOString(),
      now,
    );
    return turns.filter((t) => this.unanswered(t) === 0);
  }

  approvals(turnId: string): ApprovalRow[] {
    return this.sql
      .exec<Row>("SELECT * FROM approvals WHERE turn_id = ? ORDER BY rowid", turnId)
      .toArray()
      .map(approvalRow);
  }

  unanswered(turnId: string): number {
    return Number(
      this.sql.exec("SELECT COUNT(*) AS n FROM approvals WHERE turn_id = ? AND approved IS NULL", turnId).one().n,
    );
  }

  /** The answers of a turn's calls, by call id. */
  decisions(turnId: string): Map<string, Decision> {
    const decided = new Map<string, Decision>();
    for (const a of this.approvals(turnId))
      if (a.approved !== null)
        decided.set(a.callId, {
          approvalId: a.approvalId,
          approved: a.approved,
          ...(a.reason ? { reason: a.reason } : {}),
        });
    return decided;
  }

  /** When the next unanswered approval times out (ms since the epoch); null when none waits. */
  nextDeadline(): number | null {
    const r = this.sql.exec("SELECT MIN(expires_at) AS t FROM approvals WHERE approved IS NULL").one();
    return r.t === null ? null : Number(r.t);
  }

  /** Turns a restart left `running`. */
  running(): TurnRow[] {
    return this.sql.exec<Row>("SELECT * FROM turn_state WHERE state = 'running'").toArray().map(turnRow);
  }

  /** Ended turns are kept as long as their log; this drops those whose log is gone. */
  prune(): void {
    this.sql.exec("DELETE FROM turn_state WHERE state = 'ended' AND turn_id NOT IN (SELECT turn_id FROM turns)");
    this.sql.exec("DELETE FROM approvals WHERE turn_id NOT IN (SELECT turn_id FROM turn_state)");
  }
}
