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
const HEADING = /^ {0,3}(#{1,6})\s+(.*)$/;
const RULE = /^ {0,3}([-*_])(?:\s*\1){2,}\s*$/;
const QUOTE = /^ {0,3}>/;
const ITEM = /^(\s*)([-*+]|\d{1,9}[.)])\s+(.*)$/;
const TABLE_RULE = /^\s*\|?\s*:?-{2,}:?\s*(\|\s*:?-{2,}:?\s*)*\|?\s*$/;
const BLANK = /^\s*$/;

/** Quotes nest this deep at most; deeper `>`s are text (each level re-reads its lines). */
const MAX_QUOTE_DEPTH = 16;

/** Renders Markdown source to an HTML string that is safe to assign to `innerHTML`. */
export function renderMarkdown(source) {
  // NUL marks placeholders in `inline`; CRLF from any source becomes LF.
  const lines = String(source ?? "")
    .replace(/\0/g, "")
    .replace(/\r\n?/g, "\n")
    .split("\n");
  return renderBlocks(lines, 0);
}

function renderBlocks(lines, depth) {
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
      out.push(`<h${level}>${inline(headingText(heading[2]))}</h${level}>`);
      i++;
      continue;
    }
    if (RULE.test(line)) {
      out.push("<hr>");
      i++;
      continue;
    }
    if (QUOTE.test(line) && depth < MAX_QUOTE_DEPTH) {
      const inner = [];
      for (; i < lines.length && QUOTE.test(lines[i]); i++) inner.push(lines[i].replace(/^ {0,3}> ?/, ""));
      out.push(`<blockquote>${renderBlocks(inner, depth + 1)}</blockquote>`);
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
        } else if (!BLANK.test(lines[i]) && /^\s+\S/.test(lines[i]) && !startsBlock(lines[i], depth)) {
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
    while (i < lines.length && !BLANK.test(lines[i]) && !startsBlock(lines[i], depth) && !startsTable(lines, i))
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

function startsBlock(line, depth) {
  return (
    FENCE.test(line) ||
    HEADING.test(line) ||
    RULE.test(line) ||
    (QUOTE.test(line) && depth < MAX_QUOTE_DEPTH) ||
    ITEM.test(line)
  );
}

/**
 * A heading's text: what follows the `#`s and the spaces after them, without trailing spaces
 * or closing `#`s (`## Title ##`). Worked out by hand: a regex that does it rescans a long run of
 * spaces from each of its characters.
 */
function headingText(rest) {
  const text = rest.trimEnd();
  let hashes = text.length;
  while (hashes > 0 && text[hashes - 1] === "#") hashes--;
  // Closing `#`s follow a space within the text; a heading of `#`s alone keeps them.
  if (hashes === text.length || hashes === 0 || !/\s/.test(text[hashes - 1])) return text;
  return text.slice(0, hashes).trimEnd();
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
const TRAILING_PUNCTUATION = new Set([".", ",", ";", ":", "!", "?", ")"]);

/** Inline markup of one line. Code spans and links are set aside first so nothing formats inside them. */
function inline(text) {
  const held = [];
  const hold = (html) => `\0${held.push(html) - 1}\0`;
  const link = (href, label) => hold(`<a href="${href}" target="_blank" rel="noopener noreferrer">${label}</a>`);

  let s = escapeHtml(text);
  s = s.replace(/(`+)(.+?)\1(?!`)/g, (_, _ticks, code) => hold(`<code>${code}</code>`));
  // Images become links too: a reply should not make the browser fetch from hosts it names.
  s = replaceLinks(s, (label, url) => (SAFE_URL.test(url) ? link(url, emphasis(label)) : emphasis(label)));
  // Bare URLs; escaped quotes and angle brackets end them, trailing punctuation is not part of them
  // (cut off by hand: a lazy match with a look-ahead rescans a long run of dots from each one).
  s = s.replace(/(^|[\s(])(https?:\/\/)((?:(?!&quot;|&#39;|&lt;|&gt;)[^\s\0])+)/g, (_, pre, scheme, rest) => {
    let end = rest.length;
    while (end > 1 && TRAILING_PUNCTUATION.has(rest[end - 1])) end--;
    const url = scheme + rest.slice(0, end);
    return pre + link(url, url) + rest.slice(end);
  });
  s = emphasis(s);
  // Held pieces can hold others (a code span inside a link label): restore until none is left.
  while (s.includes("\0")) s = s.replace(/\0(\d+)\0/g, (_, n) => held[Number(n)]);
  return s;
}

/**
 * Bold, italic and strikethrough. Each kind of mark is paired as a lazy regex would pair it
 * (`**`, a non-space, the shortest run of text, a non-space, `**`), but in one pass over the
 * line: a regex that finds no closing mark rescans the rest of the line from every opening one,
 * which made 80 KB of `**a ` take seconds to render (on every frame of a streaming reply).
 */
function emphasis(s) {
  s = pairMarks(s, "***", "<strong><em>", "</em></strong>");
  s = pairMarks(s, "**", "<strong>", "</strong>");
  s = pairMarks(s, "__", "<strong>", "</strong>", notWord);
  s = pairMarks(s, "*", "<em>", "</em>", (c) => c !== "*" && notWord(c));
  s = pairMarks(s, "_", "<em>", "</em>", (c) => c !== "_" && notWord(c));
  return pairMarks(s, "~~", "<del>", "</del>");
}

/** True for a character that is not a word character (or no character at all: the line's edge). */
function notWord(c) {
  return c === undefined || !/\w/.test(c);
}

function solid(c) {
  return c !== undefined && /\S/.test(c);
}

/**
 * Wraps `mark`…`mark` pairs in `open`/`close`. An opening mark is followed by a non-space and,
 * outside, by a character `edge` accepts; a closing one follows a non-space and is followed by
 * such a character; each opening mark takes the nearest closing one after at least one character.
 * The closing marks are listed first, so every opening mark finds its partner without a rescan.
 */
function pairMarks(s, mark, open, close, edge = () => true) {
  const n = mark.length;
  const closers = [];
  for (let at = s.indexOf(mark, 1); at !== -1; at = s.indexOf(mark, at + 1))
    if (solid(s[at - 1]) && edge(s[at + n])) closers.push(at);
  let out = "";
  let copied = 0;
  let next = 0;
  for (let at = s.indexOf(mark); at !== -1; ) {
    if (solid(s[at + n]) && edge(s[at - 1])) {
      while (next < closers.length && closers[next] <= at + n) next++;
      // No closing mark after this one: none after any later one either.
      if (next === closers.length) break;
      const end = closers[next];
      out += `${s.slice(copied, at)}${open}${s.slice(at + n, end)}${close}`;
      copied = end + n;
      at = s.indexOf(mark, copied);
    } else {
      at = s.indexOf(mark, at + 1);
    }
  }
  return out + s.slice(copied);
}

/**
 * `[label](url)` (and `![label](url)`), replaced by `render(label, url)`: the label runs to the
 * first `]`, the URL (spaces around it allowed) to the first space or `)`. Where the next `]`,
 * the next space-or-`)` and the next non-space are, from every position, is worked out once, so
 * a line of `[a](` that never closes costs one pass, not one pass per `[`.
 */
function replaceLinks(s, render) {
  const n = s.length;
  const bracket = new Int32Array(n + 1).fill(n);
  const stop = new Int32Array(n + 1).fill(n);
  const nonSpace = new Int32Array(n + 1).fill(n);
  for (let i = n - 1; i >= 0; i--) {
    const space = /\s/.test(s[i]);
    bracket[i] = s[i] === "]" ? i : bracket[i + 1];
    stop[i] = space || s[i] === ")" ? i : stop[i + 1];
    nonSpace[i] = space ? nonSpace[i + 1] : i;
  }
  let out = "";
  let copied = 0;
  for (let at = s.indexOf("["); at !== -1; at = s.indexOf("[", at + 1)) {
    const end = bracket[at + 1];
    if (end === n || end === at + 1 || s[end + 1] !== "(") continue;
    const url = nonSpace[end + 2];
    const urlEnd = stop[url];
    const paren = nonSpace[urlEnd];
    if (urlEnd === url || s[paren] !== ")") continue;
    const start = at > copied && s[at - 1] === "!" ? at - 1 : at;
    out += s.slice(copied, start) + render(s.slice(at + 1, end), s.slice(url, urlEnd));
    copied = paren + 1;
    at = paren;
  }
  return out + s.slice(copied);
}
