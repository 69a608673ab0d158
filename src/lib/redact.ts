/**
 * The one scrubber of secrets: every configured credential (keys, MCP header values, URL
 * credentials) is replaced wherever it appears in a text that leaves the server or is stored,
 * whatever its case (a hostile echo may lower-case it). Text that arrives in pieces (a model's
 * streamed deltas) is scrubbed across the pieces: the end of a piece that could be the start of a
 * secret is held back until the next piece shows whether it is.
 */

/** A secret and what replaces it (a URL's redacted form, say). */
export type Secret = readonly [value: string, replacement: string];

export const REDACTED = "[redacted]";

/**
 * Shorter values are not treated as secrets: they would redact ordinary words, and no credential
 * is that short.
 */
export const MIN_SECRET_CHARS = 6;

/**
 * A piece may end with up to this many characters of a secret before it is held back: a shorter
 * run ("sk-") is too common in plain text to delay text for, and says nothing of the secret.
 */
const HOLD_FROM_CHARS = 4;

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

export class Redactor {
  private readonly pattern: RegExp | null;
  private readonly replacements = new Map<string, string>();
  private readonly lowered: string[];
  private readonly firstChars: Set<string>;
  /** The longest secret's length: how much of what went before a piece can matter to it. */
  private readonly longest: number;
  /**
   * The first `HOLD_FROM_CHARS` characters of every secret: a text that holds none of them holds
   * no secret and ends in none worth holding, so most streamed pieces need no closer look. Null
   * when a secret's start is not ASCII (the regex's case folding and `toLowerCase` could differ).
   */
  private readonly starts: RegExp | null;

  constructor(readonly secrets: readonly Secret[]) {
    const usable = secrets.filter(([value, replacement]) => value.length >= MIN_SECRET_CHARS && value !== replacement);
    // Longest first, so a secret that contains another is replaced whole.
    const values = [...new Set(usable.map(([value]) => value))].sort((a, b) => b.length - a.length);
    for (const [value, replacement] of usable)
      if (!this.replacements.has(value.toLowerCase())) this.replacements.set(value.toLowerCase(), replacement);
    this.pattern = values.length ? new RegExp(values.map(escapeRegExp).join("|"), "gi") : null;
    this.lowered = values.map((v) => v.toLowerCase());
    this.firstChars = new Set(this.lowered.map((v) => v[0]));
    this.longest = values[0]?.length ?? 0;
    const heads = [...new Set(this.lowered.map((v) => v.slice(0, HOLD_FROM_CHARS)))];
    this.starts =
      heads.length && heads.every((h) => /^[\x20-\x7e]+$/.test(h))
        ? new RegExp(heads.map(escapeRegExp).join("|"), "i")
        : null;
  }

  /**
   * @internal False when `text` holds no secret and does not end in the start of one that is
   * worth holding back: both need a secret's first `HOLD_FROM_CHARS` characters in it.
   */
  mayTouch(text: string): boolean {
    return this.starts ? this.starts.test(text) : this.pattern !== null;
  }

  /** This redactor and `more` secrets (a caller's own key, for one turn). */
  with(more: readonly Secret[]): Redactor {
    return more.length ? new Redactor([...this.secrets, ...more]) : this;
  }

  /** `text` with every secret replaced. */
  redact(text: string): string {
    if (!this.pattern || text.length < MIN_SECRET_CHARS) return text;
    return text.replace(this.pattern, (m) => this.replacements.get(m.toLowerCase()) ?? REDACTED);
  }

  /** A scrubber for one text that arrives in pieces. */
  stream(): StreamRedaction {
    return new StreamRedaction(this);
  }

  /**
   * @internal How much of the end of `text` to hold back: the run at the end of `before + text`
   * (from `from` in `text`, or anywhere in `before` when `from` is 0) that is the start of a
   * secret, when it is long enough to be worth holding; only the part in `text` can be held.
   */
  heldTail(before: string, text: string, from: number): number {
    const whole = before + text;
    const first = from > 0 ? before.length + from : 0;
    for (let at = Math.max(first, whole.length - this.longest + 1); at <= whole.length - HOLD_FROM_CHARS; at++) {
      if (!this.firstChars.has(whole[at].toLowerCase())) continue;
      const tail = whole.slice(at).toLowerCase();
      if (this.lowered.some((secret) => secret.length > tail.length && secret.startsWith(tail)))
        return Math.min(whole.length - at, text.length - from);
    }
    return 0;
  }

  /**
   * @internal Replaces the secrets of `before + text`, of which `before` was already sent: a
   * secret that began there is replaced from where `text` begins. Returns the new `text`, and
   * where its last replacement ends.
   */
  redactAfter(before: string, text: string): { text: string; end: number } {
    if (!this.pattern) return { text, end: 0 };
    const whole = before + text;
    let out = "";
    let at = before.length;
    let end = 0;
    for (const m of whole.matchAll(this.pattern)) {
      const stop = m.index + m[0].length;
      if (stop <= before.length) continue;
      const start = Math.max(m.index, at);
      out += whole.slice(at, start) + (this.replacements.get(m[0].toLowerCase()) ?? REDACTED);
      at = stop;
      end = out.length;
    }
    return { text: out + whole.slice(at), end };
  }

  /** @internal How much of what was sent a stream keeps, to see a secret that began in it. */
  get reach(): number {
    return Math.max(0, this.longest - 1);
  }
}

/** One text scrubbed as its pieces arrive: `push` each piece, `flush` at its end. */
export class StreamRedaction {
  /** The end of the last piece, held back: it may be the start of a secret. */
  private pending = "";
  /** The end of what was sent, where a secret may have begun. */
  private sent = "";

  constructor(private readonly redactor: Redactor) {}

  /** What of `piece` (and of what was held back) can be sent now, scrubbed. */
  push(piece: string): string {
    // The common case, once per streamed token: nothing here is, or may become, a secret.
    if (!this.redactor.mayTouch(this.sent + this.pending + piece)) {
      const all = this.pending + piece;
      this.pending = "";
      return this.send(all);
    }
    const { text, end } = this.redactor.redactAfter(this.sent, this.pending + piece);
    const held = this.redactor.heldTail(this.sent, text, end);
    this.pending = text.slice(text.length - held);
    return this.send(text.slice(0, text.length - held));
  }

  /** Whatever was held back: the text has ended. */
  flush(): string {
    const { text } = this.redactor.redactAfter(this.sent, this.pending);
    this.pending = "";
    return this.send(text);
  }

  private send(text: string): string {
    if (text) this.sent = (this.sent + text).slice(-this.redactor.reach);
    return text;
  }
}

const cache = new WeakMap<readonly Secret[], Redactor>();

/** The redactor of a list of secrets, built once per list (a config's, say). */
export function redactorOf(secrets: readonly Secret[]): Redactor {
  let redactor = cache.get(secrets);
  if (!redactor) {
    redactor = new Redactor(secrets);
    cache.set(secrets, redactor);
  }
  return redactor;
}
