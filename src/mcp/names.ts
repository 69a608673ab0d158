/**
 * Model-facing tool names. Providers accept only `^[A-Za-z0-9_-]{1,64}$`, and names must be unique
 * across every MCP server and the built-in tools, while staying readable and stable from turn to turn
 * (a name the model saw earlier in the conversation should still mean the same tool).
 */
import { fnv1a } from "../lib/hash";

/** One tool as its server names it. */
export interface ToolRef {
  server: string;
  tool: string;
}

export const MAX_TOOL_NAME = 64;
const VALID = /^[A-Za-z0-9_-]{1,64}$/;
const HASH_LEN = 6;

/** True when `name` is acceptable to the providers as it is. */
export function isValidToolName(name: string): boolean {
  return VALID.test(name);
}

/** Invalid characters become `_`; an empty name becomes `tool`. Length is not limited here. */
export function sanitizeToolName(name: string): string {
  const cleaned = name.replace(/[^A-Za-z0-9_-]/g, "_");
  return cleaned === "" ? "tool" : cleaned;
}

/** A short tag that tells apart two tools whose readable names clash. */
function tagOf(ref: ToolRef, salt = 0): string {
  return fnv1a(`${ref.server}\u0000${ref.tool}${salt ? `\u0000${salt}` : ""}`).slice(0, HASH_LEN);
}

/** `name` cut to fit with `_<tag>` appended: always exactly within the limit. */
function withTag(name: string, ref: ToolRef, salt = 0): string {
  return `${name.slice(0, MAX_TOOL_NAME - HASH_LEN - 1)}_${tagOf(ref, salt)}`;
}

function fit(name: string, ref: ToolRef): string {
  return name.length <= MAX_TOOL_NAME ? name : withTag(name, ref);
}

function countBy(names: Iterable<string>): Map<string, number> {
  const counts = new Map<string, number>();
  for (const n of names) counts.set(n, (counts.get(n) ?? 0) + 1);
  return counts;
}

/**
 * One unique, valid name per tool, in the order given. A tool keeps its own (sanitized) name when
 * no other tool or reserved name has it; clashing tools are prefixed `<server>__`; names over 64
 * characters are cut and tagged with a hash of (server, tool). The result depends only on the set
 * of tools, not on their order (short of a hash collision, which is settled in order).
 */
export function assignToolNames(tools: readonly ToolRef[], reserved: Iterable<string> = []): string[] {
  const taken = new Set(reserved);
  const bases = tools.map((t) => sanitizeToolName(t.tool));
  const baseCounts = countBy(bases);

  const candidates = tools.map((ref, i) => {
    const base = bases[i];
    const unique = baseCounts.get(base) === 1 && !taken.has(base);
    return fit(unique ? base : `${sanitizeToolName(ref.server)}__${base}`, ref);
  });

  // Prefixing can still clash (`a.b` and `a_b` on one server, or a tool literally named `s__x`):
  // every member of such a group gets a hash tag, so no tool wins by coming first.
  const counts = countBy(candidates);
  const names = candidates.map((name, i) =>
    counts.get(name) === 1 && !taken.has(name) ? name : withTag(name, tools[i]),
  );

  // A clash of the tags themselves is ~1 in 16 million; settle it deterministically anyway.
  const out: string[] = [];
  for (let i = 0; i < names.length; i++) {
    let name = names[i];
    for (let salt = 1; taken.has(name); salt++) name = withTag(candidates[i], tools[i], salt);
    taken.add(name);
    out.push(name);
  }
  return out;
}
