/**
 * The page's Markdown renderer (web/markdown.js: markdown-it with HTML off, highlight.js), in
 * Node: what it renders, that it never lets HTML through, and that its time is linear.
 */
import { describe, expect, it } from "vitest";
import { escapeHtml, renderMarkdown } from "../../web/markdown.js";

/** The tags in rendered HTML. */
const tagsOf = (html: string) => new Set([...html.matchAll(/<\/?([a-z0-9]+)/g)].map((m) => m[1]));

describe("renderMarkdown: safety", () => {
  it("escapes raw HTML instead of passing it through", () => {
    const html = renderMarkdown('<script>alert("x")</script>\n<img src=x onerror=alert(1)>');
    expect(html).toBe(
      "<p>&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;<br>\n&lt;img src=x onerror=alert(1)&gt;</p>",
    );
  });

  it("escapes HTML inside code, headings, lists, links and tables too", () => {
    const html = renderMarkdown(
      [
        "# <b>h</b>",
        "- <i>item</i>",
        "",
        "`<code>`",
        "```html",
        "<div onclick=x>",
        "```",
        "[<em>x</em>](https://e.com/?a=<b>)",
        "",
        "| <a> | b |",
        "|---|---|",
        "| <s> | c |",
      ].join("\n"),
    );
    for (const tag of ["b", "i", "em", "s", "div", "script"]) expect(tagsOf(html).has(tag), tag).toBe(false);
    expect(html).not.toContain("<div");
    expect(html).toContain("<table>");
  });

  it("keeps only http(s) and mailto links, which open in a new tab; quotes cannot break out of an attribute", () => {
    expect(renderMarkdown("[x](javascript:alert(1))")).toBe("<p>[x](javascript:alert(1))</p>");
    expect(renderMarkdown("[x](data:text/html,hi)")).toBe("<p>[x](data:text/html,hi)</p>");
    expect(renderMarkdown("[m](mailto:a@b.c)")).toContain('href="mailto:a@b.c"');
    const quoted = renderMarkdown('[x](https://e.com/" onmouseover="alert(1))');
    expect(quoted).not.toContain('" onmouseover');
  });

  it("turns images into links: a reply cannot make the browser fetch a URL by itself", () => {
    const html = renderMarkdown("![cat](https://e.com/cat.png)");
    expect(tagsOf(html).has("img")).toBe(false);
    expect(html).toContain('<a href="https://e.com/cat.png"');
  });

  it("escapeHtml covers the five significant characters", () => {
    expect(escapeHtml(`<a href="x">'&'</a>`)).toBe("&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;");
  });
});

describe("renderMarkdown: what it renders", () => {
  it("highlights fenced code by its language, with a copy button, also before the closing fence arrives", () => {
    const html = renderMarkdown("```js\nconst x = 1 < 2;\n```");
    expect(html).toContain('<pre class="code-block" data-language="js">');
    expect(html).toContain('<button type="button" class="copy-code" aria-label="Copy code"></button>');
    expect(html).toContain('<span class="hljs-keyword">const</span> x = <span class="hljs-number">1</span> &lt;');
    expect(renderMarkdown("```python\nprint(1)")).toContain('<span class="hljs-built_in">print</span>');
    // An unknown language is escaped text, not guessed at.
    expect(renderMarkdown("```klingon\n<b>qapla</b>\n```")).toContain("&lt;b&gt;qapla&lt;/b&gt;");
  });

  it("renders headings, lists, quotes, tables, strikethrough and single newlines as line breaks", () => {
    const html = renderMarkdown("# T\n\n- a\n  - b\n1. c\n\n> q\n\n~~s~~ x\ny\n\n| a | b |\n|---|---|\n| 1 | 2 |");
    for (const tag of ["h1", "ul", "ol", "li", "blockquote", "s", "br", "table", "th", "td"])
      expect(tagsOf(html).has(tag), tag).toBe(true);
  });

  it("is total: any input renders without throwing", () => {
    for (const input of ["", "\0", "```", "|", "> ", "* ", "1.", "[", "](", "\\", "\r\n\r\n", "😀".repeat(10)])
      expect(() => renderMarkdown(input)).not.toThrow();
    expect(renderMarkdown("a\0b")).toBe("<p>ab</p>");
  });
});

describe("renderMarkdown: time linear in the input", () => {
  /**
   * The least CPU time of five renders, in ms, and never under 2 ms (so timer noise cannot make a
   * ratio). CPU time, not the wall clock: on a CI machine busy with other test files, preemption
   * stretched a whole 80 KB render past its linear share (9.4 × a 20 KB one's wall time, where
   * CPU time stays within about twice the expected ratio under the same load).
   */
  function time(source: string): number {
    let best = Number.POSITIVE_INFINITY;
    for (let run = 0; run < 5; run++) {
      const started = process.cpuUsage();
      renderMarkdown(source);
      const spent = process.cpuUsage(started);
      best = Math.min(best, (spent.user + spent.system) / 1000);
    }
    return Math.max(best, 2);
  }

  // Inputs that made a regex rescan the rest of the line from each of their characters.
  const unclosed: Record<string, (n: number) => string> = {
    "**a ": (n) => "**a ".repeat(n / 4),
    "***a ": (n) => "***a ".repeat(n / 5),
    "*a ": (n) => "*a ".repeat(n / 3),
    "__a ": (n) => "__a ".repeat(n / 4),
    "_a ": (n) => "_a ".repeat(n / 3),
    "~~a ": (n) => "~~a ".repeat(n / 4),
    "[a](": (n) => "[a](".repeat(n / 4),
    "[[[": (n) => "[".repeat(n),
    "a URL then dots": (n) => `see http://a${".".repeat(n)}x`,
    "a heading then spaces": (n) => `# a${" ".repeat(n)}x`,
    "quotes in quotes": (n) => "> ".repeat(n / 2),
  };

  for (const [name, make] of Object.entries(unclosed)) {
    // Eight times the input: linear is about 8 × the time, quadratic 64 ×; the bound sits between.
    it(`80 KB of ${JSON.stringify(name)} renders in about 8 × the time of 10 KB, not 64 ×`, () => {
      const small = time(make(10_000));
      const large = time(make(80_000));
      expect(large / small, `10 KB: ${small.toFixed(1)} ms, 80 KB: ${large.toFixed(1)} ms`).toBeLessThan(32);
      // It took 6 to 13 s before.
      expect(large).toBeLessThan(1_000);
    });
  }

  it("still pairs marks and links as CommonMark does, and nests quotes no deeper than its limit", () => {
    expect(renderMarkdown("x **a** and **b")).toBe("<p>x <strong>a</strong> and **b</p>");
    expect(renderMarkdown("see http://a.example/x).")).toBe(
      '<p>see <a href="http://a.example/x" target="_blank" rel="noopener noreferrer">http://a.example/x</a>).</p>',
    );
    const deep = renderMarkdown(`${"> ".repeat(40)}x`);
    expect((deep.match(/<blockquote>/g) ?? []).length).toBeLessThanOrEqual(20);
  });
});
