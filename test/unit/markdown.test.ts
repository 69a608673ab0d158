/** The page's Markdown renderer (public/markdown.js), in Node: what it renders, and that it never lets HTML through. */
import { describe, expect, it } from "vitest";
import { escapeHtml, renderMarkdown } from "../../web/markdown.js";

describe("renderMarkdown: safety", () => {
  it("escapes raw HTML instead of passing it through", () => {
    const html = renderMarkdown('<script>alert("x")</script>\n<img src=x onerror=alert(1)>');
    expect(html).not.toContain("<script");
    expect(html).not.toContain("<img");
    expect(html).toBe("<p>&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;<br>&lt;img src=x onerror=alert(1)&gt;</p>");
  });

  it("escapes HTML inside code, headings, lists, links and tables too", () => {
    const html = renderMarkdown(
      [
        "# <b>h</b>",
        "- <i>item</i>",
        "`<code>`",
        "```html",
        "<div onclick=x>",
        "```",
        "[<em>x</em>](https://e.com/?a=<b>)",
        "| <a> | b |",
        "|---|---|",
        "| <s> | c |",
      ].join("\n"),
    );
    // The only tags are the renderer's own.
    const tags = new Set([...html.matchAll(/<\/?([a-z0-9]+)/g)].map((m) => m[1]));
    expect([...tags].sort()).toEqual([
      "a",
      "code",
      "div",
      "h1",
      "li",
      "p",
      "pre",
      "table",
      "tbody",
      "td",
      "th",
      "thead",
      "tr",
      "ul",
    ]);
    expect(html).toContain("<h1>&lt;b&gt;h&lt;/b&gt;</h1>");
    expect(html).toContain('<pre><code class="language-html" data-lang="html">&lt;div onclick=x&gt;</code></pre>');
    expect(html).not.toMatch(/<div onclick/);
  });

  it("keeps only http(s) and mailto links; quotes cannot break out of an attribute", () => {
    expect(renderMarkdown("[x](javascript:alert(1))")).not.toContain("href");
    expect(renderMarkdown("[x](data:text/html,hi)")).toBe("<p>x</p>");
    expect(renderMarkdown("[x](vbscript:msgbox)")).toBe("<p>x</p>");
    expect(renderMarkdown('[x](https://e.com/"onmouseover="alert(1))')).toContain(
      'href="https://e.com/&quot;onmouseover=&quot;alert(1"',
    );
    expect(renderMarkdown("[mail](mailto:a@b.c)")).toContain('href="mailto:a@b.c"');
  });

  it("turns images into links: a reply cannot make the browser fetch a URL by itself", () => {
    expect(renderMarkdown("![pic](https://e.com/p.png)")).toBe(
      '<p><a href="https://e.com/p.png" target="_blank" rel="noopener noreferrer">pic</a></p>',
    );
  });

  it("escapeHtml covers the five significant characters", () => {
    expect(escapeHtml(`<a href="x" title='y'>&</a>`)).toBe(
      "&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;&amp;&lt;/a&gt;",
    );
  });
});

describe("renderMarkdown: formatting", () => {
  it("renders inline code, bold, italic, strikethrough and links", () => {
    expect(renderMarkdown("a **b** *c* _d_ ~~e~~ `f*g*` [h](https://h.example)")).toBe(
      '<p>a <strong>b</strong> <em>c</em> <em>d</em> <del>e</del> <code>f*g*</code> <a href="https://h.example" target="_blank" rel="noopener noreferrer">h</a></p>',
    );
    expect(renderMarkdown("snake_case_name and 2*3*4")).toBe("<p>snake_case_name and 2*3*4</p>");
    expect(renderMarkdown("***both***")).toBe("<p><strong><em>both</em></strong></p>");
  });

  it("links bare URLs without their trailing punctuation", () => {
    expect(renderMarkdown("see https://e.com/a?b=1&c=2.")).toBe(
      '<p>see <a href="https://e.com/a?b=1&amp;c=2" target="_blank" rel="noopener noreferrer">https://e.com/a?b=1&amp;c=2</a>.</p>',
    );
  });

  it("renders fenced code blocks, also while the closing fence has not arrived yet", () => {
    expect(renderMarkdown("```js\nconst a = 1;\n\nlet b;\n```\nafter")).toBe(
      '<pre><code class="language-js" data-lang="js">const a = 1;\n\nlet b;</code></pre>\n<p>after</p>',
    );
    expect(renderMarkdown("```py\nprint(1)")).toBe(
      '<pre><code class="language-py" data-lang="py">print(1)</code></pre>',
    );
    expect(renderMarkdown("```\n# not a heading\n**not bold**\n```")).toBe(
      "<pre><code># not a heading\n**not bold**</code></pre>",
    );
  });

  it("renders headings, nested and ordered lists, quotes, rules, tables and paragraphs", () => {
    const md = [
      "# One",
      "### Three ###",
      "",
      "- a",
      "- b",
      "  - b1",
      "  - b2",
      "- c",
      "",
      "3. x",
      "4. y",
      "",
      "> quoted **x**",
      "> more",
      "",
      "---",
      "| h1 | h2 |",
      "|:---|---:|",
      "| 1 | `2` |",
      "",
      "line one",
      "line two",
      "",
      "next",
    ].join("\n");
    expect(renderMarkdown(md).split("\n")).toEqual([
      "<h1>One</h1>",
      "<h3>Three</h3>",
      "<ul><li>a</li><li>b<ul><li>b1</li><li>b2</li></ul></li><li>c</li></ul>",
      '<ol start="3"><li>x</li><li>y</li></ol>',
      "<blockquote><p>quoted <strong>x</strong><br>more</p></blockquote>",
      "<hr>",
      '<div class="table-wrap"><table><thead><tr><th>h1</th><th>h2</th></tr></thead><tbody><tr><td>1</td><td><code>2</code></td></tr></tbody></table></div>',
      "<p>line one<br>line two</p>",
      "<p>next</p>",
    ]);
  });

  it("is total: any input renders without throwing", () => {
    for (const input of [
      "",
      "   ",
      "\n\n",
      "`",
      "**",
      "[",
      "[a](",
      "|",
      "- ",
      "1.",
      "> ",
      "```",
      "\0\0",
      "\r\n\r\n",
      "*a **b* c**",
    ]) {
      expect(typeof renderMarkdown(input)).toBe("string");
    }
    expect(renderMarkdown("a\0b")).toBe("<p>ab</p>");
  });
});

describe("renderMarkdown: time linear in the input", () => {
  /** The fastest of three renders, in ms, and never under 2 ms (so timer noise cannot make a ratio). */
  function time(source: string): number {
    let best = Number.POSITIVE_INFINITY;
    for (let run = 0; run < 3; run++) {
      const started = performance.now();
      renderMarkdown(source);
      best = Math.min(best, performance.now() - started);
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
    it(`80 KB of ${JSON.stringify(name)} renders in about 4 × the time of 20 KB, not 16 ×`, () => {
      const small = time(make(20_000));
      const large = time(make(80_000));
      expect(large / small, `20 KB: ${small.toFixed(1)} ms, 80 KB: ${large.toFixed(1)} ms`).toBeLessThan(8);
      // It took 6 to 13 s before.
      expect(large).toBeLessThan(1_000);
    });
  }

  it("still pairs marks, links and trims headings as before, and nests quotes no deeper than 16", () => {
    expect(renderMarkdown("x **a** and **b")).toBe("<p>x <strong>a</strong> and **b</p>");
    expect(renderMarkdown("**a ** b**")).toBe("<p><strong>a ** b</strong></p>");
    expect(renderMarkdown("a_b_ *c*d* __e__")).toBe("<p>a_b_ <em>c*d</em> <strong>e</strong></p>");
    expect(renderMarkdown("see http://a.example/x).")).toBe(
      '<p>see <a href="http://a.example/x" target="_blank" rel="noopener noreferrer">http://a.example/x</a>).</p>',
    );
    expect(renderMarkdown("# Title #  ")).toBe("<h1>Title</h1>");
    const deep = renderMarkdown(`${"> ".repeat(20)}x`);
    expect(deep.match(/<blockquote>/g)).toHaveLength(16);
    expect(deep).toContain("<p>&gt; &gt; &gt; &gt; x</p>");
  });
});
