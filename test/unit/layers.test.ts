/**
 * The dependency direction the README's architecture section writes down, checked on every
 * import in src/: a layer that reaches upward fails here, not in review.
 */
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const SRC = fileURLToPath(new URL("../../src/", import.meta.url));

/** Folder → the folders of src/ it must never import from. */
const FORBIDDEN: Record<string, string[]> = {
  // The model layer knows nothing of sessions, wire formats or routes.
  llm: ["session", "http", "events/encode", "directory", "tools", "mcp"],
  // Encoders are pure: events in, bytes out; no config, pricing, storage or routes.
  events: ["config.ts", "llm", "session", "http", "directory", "storage", "tools", "mcp"],
  tools: ["session", "http", "events/encode", "directory"],
  mcp: ["session", "http", "events", "directory", "llm"],
  // Sessions may frame bytes (replay re-encodes logged events in any dialect), never parse requests.
  session: ["http"],
  directory: ["http", "session", "events/encode"],
  // The owner's MCP credentials: storage for the MCP layer, knowing nothing of turns or routes.
  credentials: ["http", "session", "events", "directory", "tools", "llm"],
  storage: ["http", "session", "llm", "events", "tools", "mcp"],
  lib: ["http", "session", "llm", "events", "tools", "mcp", "directory", "storage", "config.ts"],
};

function files(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? files(join(dir, e.name)) : e.name.endsWith(".ts") ? [join(dir, e.name)] : [],
  );
}

function importsOf(file: string): string[] {
  const text = readFileSync(file, "utf8");
  return [...text.matchAll(/^\s*(?:import|export)[^;]*?from\s+"(\.[^"]+)"/gms)].map((m) =>
    relative(SRC, resolve(dirname(file), m[1])),
  );
}

describe("layers", () => {
  it("never import upward", () => {
    const broken: string[] = [];
    for (const file of files(SRC)) {
      const layer = relative(SRC, file).split("/")[0];
      for (const target of importsOf(file)) {
        const bad = (FORBIDDEN[layer] ?? []).find(
          (f) => target === f.replace(/\.ts$/, "") || target.startsWith(`${f}/`),
        );
        if (bad) broken.push(`${relative(SRC, file)} imports ${target}`);
      }
    }
    expect(broken).toEqual([]);
  });

  it("sees the imports it checks", () => {
    // A check that reads no imports would pass for any tree.
    expect(importsOf(join(SRC, "session", "chat-session.ts"))).toContain("events/encode");
  });
});
