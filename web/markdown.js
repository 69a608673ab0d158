/**
 * Model replies as Markdown: markdown-it (CommonMark and GitHub tables and strikethrough) with raw
 * HTML off, so every `<` a model writes is text, and highlight.js for fenced code in the languages
 * replies use most (bundled at build time; no request at run time). Links keep http(s) and mailto
 * only and open in a new tab; images become links, so a reply cannot make the browser fetch a URL
 * by itself. An unclosed fence is code until the end, which is what a streaming reply needs. Both
 * libraries are linear in their input (the page re-renders the reply once per animation frame).
 * A code block gets a copy button (its label is CSS: the button adds no text to the reply).
 */
import hljs from "highlight.js/lib/core";
import bash from "highlight.js/lib/languages/bash";
import c from "highlight.js/lib/languages/c";
import cpp from "highlight.js/lib/languages/cpp";
import css from "highlight.js/lib/languages/css";
import diff from "highlight.js/lib/languages/diff";
import go from "highlight.js/lib/languages/go";
import java from "highlight.js/lib/languages/java";
import javascript from "highlight.js/lib/languages/javascript";
import json from "highlight.js/lib/languages/json";
import markdown from "highlight.js/lib/languages/markdown";
import python from "highlight.js/lib/languages/python";
import rust from "highlight.js/lib/languages/rust";
import sql from "highlight.js/lib/languages/sql";
import typescript from "highlight.js/lib/languages/typescript";
import xml from "highlight.js/lib/languages/xml";
import yaml from "highlight.js/lib/languages/yaml";
import MarkdownIt from "markdown-it";

const LANGUAGES = {
  bash,
  c,
  cpp,
  css,
  diff,
  go,
  java,
  javascript,
  json,
  markdown,
  python,
  rust,
  sql,
  typescript,
  xml,
  yaml,
};
for (const [name, language] of Object.entries(LANGUAGES)) hljs.registerLanguage(name, language);

const ESCAPES = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };

/** Escapes the five characters that matter in HTML text and attribute values. */
export function escapeHtml(text) {
  return String(text).replace(/[&<>"']/g, (ch) => ESCAPES[ch]);
}

const SAFE_LINK = /^(https?:|mailto:)/i;

const md = new MarkdownIt({
  html: false,
  linkify: true,
  breaks: true,
  // Deeper quotes and lists are text: nesting costs stack and time in every renderer.
  maxNesting: 20,
  highlight(code, lang) {
    const language = hljs.getLanguage(lang) ? lang : "";
    const body = language ? hljs.highlight(code, { language, ignoreIllegals: true }).value : escapeHtml(code);
    const label = language ? ` data-language="${escapeHtml(language)}"` : "";
    return `<pre class="code-block"${label}><button type="button" class="copy-code" aria-label="Copy code"></button><code class="hljs">${body}</code></pre>`;
  },
});
md.disable("image");
md.validateLink = (url) => SAFE_LINK.test(url.trim());

const renderLinkOpen =
  md.renderer.rules.link_open ?? ((tokens, i, options, _env, self) => self.renderToken(tokens, i, options));
md.renderer.rules.link_open = (tokens, i, options, env, self) => {
  tokens[i].attrSet("target", "_blank");
  tokens[i].attrSet("rel", "noopener noreferrer");
  return renderLinkOpen(tokens, i, options, env, self);
};

/** Renders Markdown source to an HTML string that is safe to assign to `innerHTML`. */
export function renderMarkdown(source) {
  return md.render(String(source ?? "").replace(/\0/g, "")).trimEnd();
}
