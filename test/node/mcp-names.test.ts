import { describe, expect, it } from "vitest";
import { assignToolNames, isValidToolName, sanitizeToolName } from "../../src/mcp/names";

const refs = (...pairs: Array<[string, string]>) => pairs.map(([server, tool]) => ({ server, tool }));

describe("assignToolNames", () => {
  it("keeps a tool's own name when it is unique and valid", () => {
    expect(assignToolNames(refs(["a", "echo"], ["b", "get-sum"]))).toEqual(["echo", "get-sum"]);
  });

  it("sanitizes invalid characters to _", () => {
    expect(assignToolNames(refs(["a", "files.read"], ["a", "ünïcode tool"]))).toEqual(["files_read", "_n_code_tool"]);
    expect(sanitizeToolName("")).toBe("tool");
  });

  it("prefixes clashing names with their server, and only those", () => {
    expect(assignToolNames(refs(["a", "echo"], ["b", "echo"], ["b", "add"]))).toEqual(["a__echo", "b__echo", "add"]);
  });

  it("treats reserved (built-in) names as taken", () => {
    expect(assignToolNames(refs(["a", "clock"], ["a", "echo"]), ["clock"])).toEqual(["a__clock", "echo"]);
  });

  it("tags names that still clash after prefixing, all of them, with distinct hashes", () => {
    const names = assignToolNames(refs(["s", "a.b"], ["s", "a_b"]));
    expect(names[0]).not.toBe(names[1]);
    for (const n of names) expect(n).toMatch(/^s__a_b_[0-9a-f]{6}$/);
    // A literal `s__x` tool against server s's `x`, which has to be prefixed.
    const tricky = assignToolNames(refs(["s", "x"], ["t", "x"], ["u", "s__x"]));
    expect(new Set(tricky).size).toBe(3);
  });

  it("cuts long names to 64 characters with a stable hash, keeping them unique", () => {
    const long = "x".repeat(80);
    const [a, b] = assignToolNames(refs(["one", long], ["two", long]));
    expect(a).toHaveLength(64);
    expect(b).toHaveLength(64);
    expect(a).not.toBe(b);
    expect(assignToolNames(refs(["one", long], ["two", long]))).toEqual([a, b]);
    const [solo] = assignToolNames(refs(["one", `${long}y`]));
    expect(solo).toMatch(/^x{57}_[0-9a-f]{6}$/);
  });

  it("gives every tool the same name whatever the order", () => {
    const input = refs(["a", "echo"], ["b", "echo"], ["a", "x".repeat(70)], ["c", "t.1"], ["c", "t_1"], ["d", "solo"]);
    const forward = assignToolNames(input);
    const backward = assignToolNames([...input].reverse()).reverse();
    expect(backward).toEqual(forward);
  });

  it("always returns valid, unique names", () => {
    const input = refs(
      ["srv", ""],
      ["srv", "!!!"],
      ["srv", "a b"],
      ["other", "a-b"],
      ["other", "a b"],
      ["x".repeat(64), "tool"],
      ["y".repeat(64), "tool"],
      ["z", "é".repeat(100)],
    );
    const names = assignToolNames(input, ["tool"]);
    expect(new Set(names).size).toBe(input.length);
    for (const n of names) expect(isValidToolName(n), n).toBe(true);
    expect(names).not.toContain("tool");
  });
});
