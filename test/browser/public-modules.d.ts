/** Types of the page's plain ES modules (web/), for the tests that import them in Node. */
declare module "*/web/markdown.js" {
  /** Escapes `& < > " '` for HTML text and attribute values. */
  export function escapeHtml(text: string): string;
  /** Markdown source → HTML that is safe to assign to `innerHTML`. */
  export function renderMarkdown(source: string): string;
}
