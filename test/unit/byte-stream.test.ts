import { describe, expect, it } from "vitest";
import { ByteStream } from "../../src/session/byte-stream";

const utf8 = new TextEncoder();
const text = new TextDecoder();

describe("ByteStream", () => {
  it("hands the frames on in order, and ends after the last one", async () => {
    const out = new ByteStream();
    out.write(utf8.encode("a"));
    out.write(utf8.encode("b"));
    const body = new Response(out.stream).text();
    out.write(utf8.encode("c"));
    await out.close();
    out.write(utf8.encode("late"));
    expect(await body).toBe("abc");
  });

  it("fails after everything queued: the reader gets every frame, then the error", async () => {
    const out = new ByteStream(undefined, true);
    out.write(utf8.encode("one "));
    out.write(utf8.encode("two"));
    await out.fail(new Error("cut"));
    const reader = out.stream.getReader();
    const got: string[] = [];
    await expect(
      (async () => {
        for (;;) {
          const r = await reader.read();
          if (r.done) return;
          got.push(text.decode(r.value));
        }
      })(),
    ).rejects.toThrow("cut");
    expect(got.join("")).toBe("one two");
  });

  it("refuses to fail a stream made without canFail (it has no pull to deliver the error after its frames)", async () => {
    const out = new ByteStream();
    out.write(utf8.encode("kept"));
    expect(() => out.fail(new Error("cut"))).toThrow(/canFail/);
    await out.close();
    expect(await new Response(out.stream).text()).toBe("kept");
  });

  it("tells once that the client went away (the stream cancelled), and takes no more frames", async () => {
    let gone = 0;
    const out = new ByteStream(() => gone++);
    out.write(utf8.encode("x"));
    await out.stream.cancel();
    expect(gone).toBe(1);
    expect(out.ended).toBe(true);
    out.write(utf8.encode("after"));
    await out.close();
    expect(gone).toBe(1);
  });
});
