/**
 * The dialect registry: every wire format a turn can be served in, one line each. Adding a
 * dialect is its encoder file (with its `defineDialect` entry), its route file, and a line here;
 * the turn loop never changes.
 */
import type { DialectSpec, Encoder, EncoderOptions } from "../dialect";
import { chatCompletionsDialect } from "./chat-completions";
import { conversationsDialect } from "./conversations";
import { dataStreamDialect } from "./data-stream";
import { messagesDialect } from "./messages";
import { nativeDialect } from "./native";
import { responsesDialect } from "./responses";
import { simpleDialect } from "./simple";
import { uiMessageDialect } from "./ui-message";

const REGISTRY = [
  nativeDialect,
  simpleDialect,
  conversationsDialect,
  chatCompletionsDialect,
  uiMessageDialect,
  dataStreamDialect,
  responsesDialect,
  messagesDialect,
] as const;

export type Dialect = (typeof REGISTRY)[number]["name"];

export type { DialectSpec, Encoder, EncoderOptions };

const byName = new Map<string, DialectSpec<Dialect>>();
for (const spec of REGISTRY) for (const name of [spec.name, ...(spec.formerly ?? [])]) byName.set(name, spec);

/** Every name `?format=` accepts, the current ones first. */
export const DIALECT_NAMES = [...byName.keys()] as [string, ...string[]];

/** The dialect a name means (a former name included); undefined for anything else. */
export function dialectNamed(name: string): DialectSpec<Dialect> | undefined {
  return byName.get(name);
}

export function dialect(name: Dialect): DialectSpec<Dialect> {
  return dialectNamed(name)!;
}

export function createEncoder(name: Dialect, options: EncoderOptions): Encoder {
  return dialect(name).encoder(options);
}

export function isSse(name: Dialect): boolean {
  return dialect(name).sse;
}

export function replaysWholeTurn(name: Dialect): boolean {
  return dialect(name).replaysWholeTurn === true;
}

/** Whether a turn's clients can be asked to fill in a form (see `DialectSpec.elicitation`). */
export function showsElicitations(name: Dialect): boolean {
  return dialect(name).elicitation === true;
}

/** Every header some dialect's clients read: what CORS must expose. */
export const DIALECT_HEADERS: readonly string[] = [...new Set(REGISTRY.flatMap((d) => Object.keys(d.headers)))];
