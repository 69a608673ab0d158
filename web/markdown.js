/**
 * A small Markdown renderer for model replies.
 *
 * Safety first: every line is HTML-escaped before any markup is added, and the only tags in the
 * output are the ones written in this file, so nothing a model (or a prompt injection) writes can
 * become live HTML. Links keep http(s) and mailto URLs only. It is forgiving of half-written
 * input, because a streaming reply is re-rendered on every chunk: an unclosed code fence is
 * simply code until the end.
 *
 * Covers: fenced code, inline code, bold, italic, strikethrough, links (and bare URLs), headings,
 * nested lists, block quotes, rules, tables, paragraphs (single newlines kept as line breaks).
 */

const ESCAPES = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };

/** Escapes the five characters that matter in HTML text and attribute values. */
export function escapeHtml(text) {
  return String(text).replace(/[&<>"']/g, (c) => ESCAPES[c]);
}

const FENCE = /^ {0,3}(`{3,}|~{3,})\s*([\w+#.-]*)/;
const HEADING = /^ {0,3}(#{1,6})\s+(.*?)(?:\s+#+)?\s*$/;
const RULE = /^ {0,3}([-*_])(?:\s*\1){2,}\s*$/;
const QUOTE = /^ {0,3}>/;
const ITEM = /^(\s*)([-*+]|\d{1,9}[.)])\s+(.*)$/;
const TABLE_RULE = /^\s*\|?\s*:?-{2,}:?\s*(\|\s*:?-{2,}:?\s*)*\|?\s*$/;
const BLANK = /^\s*$/;

/** Renders Markdown source to an HTML string that is safe to assign to `innerHTML`. */
export function renderMarkdown(source) {
  // NUL marks placeholders in `inline`; CRLF from any source becomes LF.
  const lines = String(source ?? "")
    .replace(/\0/g, "")
    .replace(/\r\n?/g, "\n")
    .split("\n");
  return renderBlocks(lines);
}

function renderBlocks(lines) {
  const out = [];
  let i = 0;
  while (i < lines.length) {
    const line = lines[i];
    if (BLANK.test(line)) {
      i++;
      continue;
    }
    const fence = line.match(FENCE);
    if (fence) {
      const body = [];
      for (i++; i < lines.length && !closesFence(lines[i], fence[1]); i++) body.push(lines[i]);
      i++; // the closing fence, if it has arrived yet
      const lang = fence[2] ? ` class="language-${escapeHtml(fence[2])}" data-lang="${escapeHtml(fence[2])}"` : "";
      out.push(`<pre><code${lang}>${escapeHtml(body.join("\n"))}</code></pre>`);
      continue;
    }
    const heading = line.match(HEADING);
    if (heading) {
      const level = heading[1].length;
      out.push(`<h${level}>${inline(heading[2])}</h${level}>`);
      i++;
      continue;
    }
    if (RULE.test(line)) {
      out.push("<hr>");
      i++;
      continue;
    }
    if (QUOTE.test(line)) {
      const inner = [];
      for (; i < lines.length && QUOTE.test(lines[i]); i++) inner.push(lines[i].replace(/^ {0,3}> ?/, ""));
      out.push(`<blockquote>${renderBlocks(inner)}</blockquote>`);
      continue;
    }
    if (ITEM.test(line)) {
      const items = [];
      for (; i < lines.length; i++) {
        const item = lines[i].match(ITEM);
        const ordered = Boolean(item && /\d/.test(item[2]));
        // A different kind of list at the outer level starts a new list.
        if (item && items.length && item[1].length <= items[0].indent && ordered !== items[0].ordered) break;
        if (item) {
          items.push({ indent: item[1].length, ordered, start: parseInt(item[2], 10), text: item[3] });
        } else if (BLANK.test(lines[i]) && ITEM.test(lines[i + 1] ?? "")) {
        } else if (!BLANK.test(lines[i]) && /^\s+\S/.test(lines[i]) && !startsBlock(lines[i])) {
          items[items.length - 1].text += ` ${lines[i].trim()}`; // an item's continuation line
        } else {
          break;
        }
      }
      out.push(renderList(items));
      continue;
    }
    if (startsTable(lines, i)) {
      const rows = [line];
      for (i += 2; i < lines.length && lines[i].includes("|") && !BLANK.test(lines[i]); i++) rows.push(lines[i]);
      out.push(renderTable(rows));
      continue;
    }
    const paragraph = [lines[i++]];
    while (i < lines.length && !BLANK.test(lines[i]) && !startsBlock(lines[i]) && !startsTable(lines, i))
      paragraph.push(lines[i++]);
    out.push(`<p>${paragraph.map((l) => inline(l.trim())).join("<br>")}</p>`);
  }
  return out.join("\n");
}

function closesFence(line, opening) {
  const m = line.match(/^ {0,3}(`{3,}|~{3,})\s*$/);
  return Boolean(m && m[1][0] === opening[0] && m[1].length >= opening.length);
}

function startsTable(lines, i) {
  return lines[i].includes("|") && TABLE_RULE.test(lines[i + 1] ?? "");
}

function startsBlock(line) {
  return FENCE.test(line) || HEADING.test(line) || RULE.test(line) || QUOTE.test(line) || ITEM.test(line);
}

/** Items with their indentation become nested lists: deeper indent opens a list inside the item. */
function renderList(items) {
  const open = []; // {indent, tag} from the outermost list in
  let html = "";
  for (const item of items) {
    while (open.length > 1 && item.indent < open[open.length - 1].indent) html += `</li></${open.pop().tag}>`;
    const top = open[open.length - 1];
    if (!top || item.indent > top.indent + 1) {
      const tag = item.ordered ? "ol" : "ul";
      const start = item.ordered && item.start !== 1 ? ` start="${item.start}"` : "";
      open.push({ indent: item.indent, tag });
      html += `<${tag}${start}><li>`;
    } else {
      html += "</li><li>";
    }
    html += inline(item.text);
  }
  while (open.length) html += `</li></${open.pop().tag}>`;
  return html;
}

function renderTable(rows) {
  const cells = (row) =>
    row
      .trim()
      .replace(/^\|/, "")
      .replace(/\|$/, "")
      .split("|")
      .map((c) => inline(c.trim()));
  const head = cells(rows[0])
    .map((c) => `<th>${c}</th>`)
    .join("");
  const body = rows
    .slice(1)
    .map(
      (r) =>
        `<tr>${cells(r)
          .map((c) => `<td>${c}</td>`)
          .join("")}</tr>`,
    )
    .join("");
  return `<div class="table-wrap"><table><thead><tr>${head}</tr></thead><tbody>${body}</tbody></table></div>`;
}

const SAFE_URL = /^(https?:\/\/|mailto:)/i;

/** Inline markup of one line. Code spans and links are set aside first so nothing formats inside them. */
function inline(text) {
  const held = [];
  const hold = (html) => `\0${held.push(html) - 1}\0`;
  const link = (href, label) => hold(`<a href="${href}" target="_blank" rel="noopener noreferrer">${label}</a>`);

  let s = escapeHtml(text);
  s = s.replace(/(`+)(.+?)\1(?!`)/g, (_, _ticks, code) => hold(`<code>${code}</code>`));
  // Images become links too: a reply should not make the browser fetch from hosts it names.
  s = s.replace(/!?\[([^\]]+)\]\(\s*([^\s)]+)\s*\)/g, (_, label, url) =>
    SAFE_URL.test(url) ? link(url, emphasis(label)) : emphasis(label),
  );
  // Bare URLs; escaped quotes and angle brackets end them, trailing punctuation is not part of them.
  s = s.replace(
    /(^|[\s(])(https?:\/\/(?:(?!&quot;|&#39;|&lt;|&gt;)[^\s\0])+?)(?=[.,;:!?)]*(?:\s|$|&quot;|&#39;|&lt;|&gt;|\0))/g,
    (_, pre, url) => pre + link(url, url),
  );
  s = emphasis(s);
  // Held pieces can hold others (a code span inside a link label): restore until none is left.
  while (s.includes("\0")) s = s.replace(/\0(\d+)\0/g, (_, n) => held[Number(n)]);
  return s;
}

function emphasis(s) {
  return s
    .replace(/\*\*\*(?=\S)(.+?)(?<=\S)\*\*\*/g, "<strong><em>$1</em></strong>")
    .replace(/\*\*(?=\S)(.+?)(?<=\S)\*\*/g, "<strong>$1</strong>")
    .replace(/(?<![\w])__(?=\S)(.+?)(?<=\S)__(?![\w])/g, "<strong>$1</strong>")
    .replace(/(?<![*\w])\*(?=\S)(.+?)(?<=\S)\*(?![*\w])/g, "<em>$1</em>")
    .replace(/(?<![_\w])_(?=\S)(.+?)(?<=\S)_(?![_\w])/g, "<em>$1</em>")
    .replace(/~~(?=\S)(.+?)(?<=\S)~~/g, "<del>$1</del>");
}
