/**
 * The questions a turn's tools are waiting on (MCP elicitation): each waits for the user's answer
 * (`POST /api/chat/{session}/elicitations/{id}`), declines when none comes in time, and is
 * cancelled with the turn. A turn whose clients cannot show a form never waits: it takes the
 * form's defaults, as SEP-1034 asks of such a client.
 */
import type { ElicitationAnswer, ElicitationRequest } from "../tools/types";

interface Waiting {
  settle(answer: ElicitationAnswer): void;
}

export class Elicitations {
  private readonly waiting = new Map<string, Waiting>();

  constructor(
    /** Whether the turn's clients can show a form at all. */
    readonly shown: boolean,
  ) {}

  /** Waits for the answer to `id`; a decline after `timeoutMs`, a cancel when `signal` aborts. */
  wait(id: string, timeoutMs: number, signal: AbortSignal): Promise<ElicitationAnswer> {
    return new Promise((resolve) => {
      const settle = (answer: ElicitationAnswer) => {
        if (!this.waiting.delete(id)) return;
        clearTimeout(timer);
        signal.removeEventListener("abort", cancel);
        resolve(answer);
      };
      const cancel = () => settle({ action: "cancel" });
      const timer = setTimeout(() => settle({ action: "decline" }), timeoutMs);
      this.waiting.set(id, { settle });
      if (signal.aborted) cancel();
      else signal.addEventListener("abort", cancel, { once: true });
    });
  }

  /** The user's answer; false when nothing waits under `id` (answered, timed out, or never asked). */
  answer(id: string, answer: ElicitationAnswer): boolean {
    const waiting = this.waiting.get(id);
    if (!waiting) return false;
    waiting.settle(answer);
    return true;
  }
}

/**
 * What a client that cannot ask answers: accept, leaving every field to its default (the MCP client
 * fills them in), when each required field has one; else decline.
 */
export function defaultAnswer(request: ElicitationRequest): ElicitationAnswer {
  const schema = request.requestedSchema as { properties?: Record<string, { default?: unknown }>; required?: unknown };
  const required = Array.isArray(schema.required) ? schema.required.map(String) : [];
  const fillable = required.every((name) => schema.properties?.[name] && "default" in schema.properties[name]);
  return fillable ? { action: "accept", content: {} } : { action: "decline" };
}
