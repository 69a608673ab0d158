/**
 * Reference 004's browser client, end to end against a real `wrangler dev`: the REAL `eventsource`
 * package's `EventSource` opens `GET /api/v1/chat/{id}/stream`, then the client POSTs the message
 * to the same path, and consumes the frames with the reference's own `onmessage` switch.
 */
import { EventSource } from "eventsource";
import { describe, expect, it } from "vitest";
import { devServerPerFile } from "../support/e2e-server";
import { script } from "../support/scripted-upstream";

const e2e = devServerPerFile("es", (upstream) => ({
  OPENAI_API_KEY: "sk-e2e-eventsource-key",
  OPENAI_BASE_URL: upstream.url,
  SYSTEM_PROMPT: "You are the EventSource test.",
}));

interface Handlers {
  onStart?: () => void;
  onChunk?: (chunk: string, fullText: string) => void;
  onEnd?: (fullText: string) => void;
  onError?: (error: unknown) => void;
}

/**
 * Reference 004's `ChatClient`, as written there, with two changes a test needs: an absolute base
 * URL (Node has no page origin), and it keeps its EventSource and POST response so a test can
 * check and release them.
 */
class ChatClient {
  readonly baseUrl: string;
  eventSource?: EventSource;
  response?: Response;

  constructor(
    readonly sessionId: string,
    origin: string,
  ) {
    this.baseUrl = `${origin}/api/v1/chat`;
  }

  async streamChat(
    message: string,
    { onStart = () => {}, onChunk = () => {}, onEnd = () => {}, onError = () => {} }: Handlers = {},
  ) {
    const eventSource = new EventSource(`${this.baseUrl}/${this.sessionId}/stream`);
    this.eventSource = eventSource;

    let fullText = "";

    eventSource.onmessage = (event) => {
      const response = JSON.parse(event.data);

      switch (response.type) {
        case "start":
          onStart();
          break;

        case "chunk":
          fullText += response.data.content;
          onChunk(response.data.content, fullText);
          break;

        case "end":
          onEnd(response.data.full_text);
          eventSource.close();
          break;

        case "error":
          onError(new Error(response.data.message));
          eventSource.close();
          break;
      }
    };

    eventSource.onerror = (error) => {
      onError(error);
      eventSource.close();
    };

    // Send the message.
    const response = await fetch(`${this.baseUrl}/${this.sessionId}/stream`, {
      method: "POST",
      headers: {
        "Content-Type": "application/json",
      },
      body: JSON.stringify({ message }),
    });
    this.response = response;

    if (!response.ok) {
      const error = (await response.json()) as { detail: string };
      throw new Error(error.detail);
    }
  }

  release(): void {
    this.eventSource?.close();
    void this.response?.body?.cancel().catch(() => {});
  }
}

/** Everything the reference client's callbacks reported, and a promise of its end or error. */
function recorder() {
  const seen = {
    starts: 0,
    chunks: [] as string[],
    fullTexts: [] as string[],
    ended: undefined as string | undefined,
    errors: [] as unknown[],
  };
  let settle!: () => void;
  const done = new Promise<void>((resolve) => (settle = resolve));
  const handlers: Handlers = {
    onStart: () => seen.starts++,
    onChunk: (chunk, fullText) => {
      seen.chunks.push(chunk);
      seen.fullTexts.push(fullText);
    },
    onEnd: (fullText) => {
      seen.ended = fullText;
      settle();
    },
    onError: (error) => {
      seen.errors.push(error);
      settle();
    },
  };
  return { seen, handlers, done };
}

const run = Date.now().toString(36);

describe("reference 004's ChatClient with the real EventSource, under wrangler dev", () => {
  it("receives start, every chunk and end with the full text, then closes", async () => {
    // A few conversations in a row: the EventSource and the POST race to the session each time.
    for (let i = 0; i < 3; i++) {
      const sessionId = `es-${run}-${i}`;
      const pieces = ["Once", " upon", " a", " time", ` (${i})`];
      const client = new ChatClient(sessionId, e2e.server.url);
      const { seen, handlers, done } = recorder();
      try {
        await client.streamChat(`tell me a story ${sessionId} ${script({ pieces, delayMs: 30 })}`, handlers);
        await Promise.race([
          done,
          new Promise((_, reject) => setTimeout(() => reject(new Error("no end within 10 s")), 10_000)),
        ]);
        expect(client.response!.status).toBe(200);
        expect(seen.errors).toEqual([]);
        // Missed only if the GET reached the session after its own POST had started the turn:
        // `watch` must then replay that turn from its start.
        expect(seen.starts, `onStart calls in ${sessionId}`).toBe(1);
        expect(seen.chunks).toEqual(pieces);
        expect(seen.fullTexts.at(-1)).toBe(pieces.join(""));
        expect(seen.ended).toBe(pieces.join(""));
        expect(client.eventSource!.readyState).toBe(EventSource.CLOSED);
      } finally {
        client.release();
      }
    }

    // What the client saw is what was stored.
    const conv = (await (await fetch(`${e2e.server.url}/api/v1/context/conversations/es-${run}-2`)).json()) as any;
    expect(conv.messages.map((m: any) => [m.role, m.content.startsWith("tell me") ? "question" : m.content])).toEqual([
      ["user", "question"],
      ["assistant", "Once upon a time (2)"],
    ]);
  });

  it("reports an upstream failure through onError, and a refused POST as an Error with the detail", async () => {
    const failing = new ChatClient(`es-${run}-fail`, e2e.server.url);
    const failed = recorder();
    try {
      await failing.streamChat(script({ status: 500 }), failed.handlers);
      await failed.done;
      expect(failed.seen.starts).toBe(1);
      expect(failed.seen.errors).toHaveLength(1);
      expect((failed.seen.errors[0] as Error).message).toMatch(/model provider failed/);
      expect(failed.seen.ended).toBeUndefined();
    } finally {
      failing.release();
    }

    const refused = new ChatClient(`es-${run}-empty`, e2e.server.url);
    try {
      await expect(refused.streamChat("")).rejects.toThrow("message: must not be empty");
    } finally {
      refused.release();
    }
  });
});
